# A cnnviz render worker (or client): Debian 12 with the same steps the fresh-machine check runs
# (../shared/tools/fresh-machine.sh: a minimal Debian 12, then scripts/setup.sh), then the project.
#   docker build -t cnnviz .
#   docker run --rm --network host -v /shared/cnnviz-store:/store cnnviz \
#       dask worker tcp://SCHEDULER:8786 --nthreads 1
# Every worker must run the client's version of the project: build the image from the client's checkout
# (a worker of another version is refused, README "Rendering on a cluster").
FROM debian:12
ENV DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8
RUN apt-get update -q \
 && apt-get install -y -q --no-install-recommends python3 python3-venv python3-pip python3-dev make git \
      ca-certificates gcc sudo \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/cnnviz
COPY . .
# the Debian packages (cairo, pango, LaTeX, fonts, espeak-ng) and the Python packages into .venv
RUN bash scripts/setup.sh && rm -rf /var/lib/apt/lists/* /root/.cache/pip
ENV PATH=/opt/cnnviz/.venv/bin:$PATH
CMD ["dask", "worker", "--help"]
