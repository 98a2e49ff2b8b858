// cnnviz's step controller: one Manim section per reveal.js fragment. The same code serves the deck and the
// embed snippet: it needs reveal.js's global `Reveal` (dist/reveal.js) and waits for it, so it may sit anywhere
// in the page, and runs once however many snippets paste it.
(function () {
  "use strict";
  if (window.cnnvizSteps) return;
  var api = window.cnnvizSteps = { last: null };
  function steps(slide) {
    return slide ? Array.prototype.slice.call(slide.querySelectorAll("video.cnnviz-step")) : [];
  }
  function isStep(el) { return !!(el && el.classList && el.classList.contains("cnnviz-step")); }
  // the step on show: the last step fragment made visible, or the first step
  function currentStep(slide) {
    var vs = steps(slide), i = 0;
    for (var k = 1; k < vs.length; k++) if (vs[k].classList.contains("visible")) i = k;
    return i;
  }
  function load(v) {
    if (!v.getAttribute("src") && v.getAttribute("data-src")) v.setAttribute("src", v.getAttribute("data-src"));
  }
  function play(v) {
    load(v);
    v._cnnviz = "play";
    v.currentTime = 0;
    var p = v.play();
    if (p && p.catch) p.catch(function (err) {
      if (err && err.name !== "AbortError") console.warn("cnnviz: cannot play " + v.currentSrc + ": " + err);
    });
  }
  // pause on the last frame (at once if the clip is loaded, else when it is)
  function hold(v) {
    load(v);
    v._cnnviz = "hold";
    v.pause();
    var end = function () { if (v._cnnviz === "hold" && isFinite(v.duration)) v.currentTime = v.duration; };
    if (v.readyState >= 1) end(); else v.addEventListener("loadedmetadata", end, { once: true });
  }
  function rewind(v) {
    v._cnnviz = "wait";
    v.pause();
    if (v.readyState >= 1 && v.currentTime !== 0) v.currentTime = 0;
  }
  function show(slide, start) {
    var vs = steps(slide);
    if (!vs.length) return;
    var i = currentStep(slide);
    vs.forEach(function (v, k) {
      if (k === i - 1) hold(v);        // lies right under the step on show
      else if (k < i) v.pause();
      else if (k > i) rewind(v);       // shows its first frame when it appears
    });
    if (start) play(vs[i]); else hold(vs[i]);
    slide.setAttribute("data-cnnviz-step", String(i));
    var count = slide.querySelector(".cnnviz-count");
    if (count) count.textContent = (i + 1) + "/" + vs.length;
    var name = slide.querySelector(".cnnviz-name");
    if (name) name.textContent = vs[i].getAttribute("data-name") || "";
    api.last = { scene: slide.getAttribute("data-scene"), step: i, steps: vs.length,
                 src: vs[i].getAttribute("src") || vs[i].getAttribute("data-src"), playing: !!start };
  }
  api.show = show;
  function boot() {
    var R = window.Reveal;
    if (!R || !R.on) { console.error("cnnviz: reveal.js is not loaded (the deck needs its global Reveal)"); return; }
    var keyed = false;
    function bindKeys() {
      if (keyed || !R.addKeyBinding) return;
      keyed = true;
      R.addKeyBinding({ keyCode: 82, key: "R", description: "Replay this step" }, function () {
        var s = R.getCurrentSlide(), vs = steps(s);
        if (vs.length) play(vs[currentStep(s)]);
      });
    }
    function enter(e) {
      bindKeys();
      if (e.previousSlide) steps(e.previousSlide).forEach(function (v) { v.pause(); });
      var s = e.currentSlide || R.getCurrentSlide();
      show(s, currentStep(s) === 0);   // coming back from the next slide: hold the last step
    }
    function fragments(e) { return e.fragments || (e.fragment ? [e.fragment] : []); }
    R.on("ready", enter);
    R.on("slidechanged", enter);
    R.on("fragmentshown", function (e) { if (fragments(e).some(isStep)) show(R.getCurrentSlide(), true); });
    R.on("fragmenthidden", function (e) { if (fragments(e).some(isStep)) show(R.getCurrentSlide(), false); });
    if (R.isReady && R.isReady()) enter({ currentSlide: R.getCurrentSlide() });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", boot);
  else boot();
})();
