#!/usr/bin/env bash
# Installs what cnnviz needs and nothing that is already there:
#   1. Debian packages for Manim (cairo, pango, LaTeX + dvisvgm, CJK fonts) via apt-get,
#   2. the Python packages into .venv at the project root.
# A second run with everything present takes seconds (a stamp keyed on pyproject.toml).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  libcairo2-dev libpango1.0-dev pkg-config          # ManimPango builds from source against these
  texlive-latex-base texlive-latex-extra texlive-fonts-recommended dvisvgm  # MathTex, Integer
  fonts-noto-cjk                                    # Chinese captions (Noto Sans CJK SC)
  espeak-ng                                         # the narration's offline voice (English and Mandarin)
)
EXTRA_APT=(${CNNVIZ_EXTRA_APT:-})                   # e.g. chromium for the browser tests

missing=()
for pkg in "${APT_PACKAGES[@]}" "${EXTRA_APT[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -eq 0 ]]; then SUDO=(); elif command -v sudo >/dev/null; then SUDO=(sudo); else
    echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -q
  "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv with $($PY --version)"
  "$PY" -m venv .venv || {
    echo "setup: 'python3 -m venv' failed; on Debian/Ubuntu install python3-venv" >&2; exit 1; }
fi
stamp=.venv/.cnnviz-installed
want=$(sha256sum pyproject.toml | cut -c1-16)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing Python packages into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test]'
  echo "$want" > "$stamp"
fi
echo "setup: ready (.venv/bin/python)"
