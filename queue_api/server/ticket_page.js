/* The ticket page, live: follows /api/v1/tickets/{id}/events and redraws in place.
   Plain ES5 (no modules, no arrow functions, no fetch): old phone browsers run it. Without
   EventSource, or when no stream gets through (a proxy), the page reloads itself slowly. */
(function () {
  "use strict";
  var C = window.TURNERO;
  var lang = C.lang;
  var view = C.view;
  var waitText = C.waitText;
  var feedbackGiven = C.feedbackGiven;
  var ENDED = { done: 1, no_show: 1, cancelled: 1 };
  var stream = null;
  var heard = false;
  var failures = 0;
  var reloadTimer = null;
  var audio = null;
  var nearSaid = false;
  var calledSeen = view.status === "called";

  function $(id) { return document.getElementById(id); }

  function t(key, values) {
    var text = (C.text[lang] && C.text[lang][key]) || C.text.es[key] || key;
    if (values) {
      for (var name in values) {
        if (values.hasOwnProperty(name)) { text = text.split("{" + name + "}").join(values[name]); }
      }
    }
    return text;
  }

  function setText(id, text) { var el = $(id); if (el) { el.textContent = text; } }
  function show(id, shown) { var el = $(id); if (el) { el.hidden = !shown; } }
  function rowValue(name, text) {
    var row = $("row-" + name);
    row.getElementsByTagName("dd")[0].textContent = text;
    row.hidden = text === "";
  }
  function say(text) {
    // Cleared first, so that the same sentence twice is read twice.
    var live = $("live");
    live.textContent = "";
    setTimeout(function () { live.textContent = text; }, 50);
  }

  function serviceName(v) {
    return v.service_name[lang] || v.service_name.es || v.service;
  }

  /* The estimated wait is worded by the server (status_page.estimate_text) for every language
     and sent with each view: this is the only place the page reads it. */
  function estimate() { return (waitText && (waitText[lang] || waitText.es)) || ""; }

  function nearAt() {
    var n = C.near[view.service];
    return typeof n === "number" ? n : C.nearDefault;
  }

  function isNear() {
    return view.status === "waiting" && view.ahead !== null && view.ahead <= nearAt();
  }

  function statusLine() {
    return t("status." + view.status, { counter: view.counter_label || "" });
  }

  function render() {
    var waiting = view.status === "waiting";
    document.documentElement.lang = lang;
    document.title = view.number + " \u00b7 " + t("status.title");
    setText("l-number", t("phone.number"));
    setText("number", view.number);
    var status = $("status");
    status.className = "status " + view.status;
    status.textContent = statusLine();
    setText("near", t("phone.near"));
    show("near", isNear());
    setText("for-counter", t("phone.for_counter", { counter: view.for_counter_label || "" }));
    show("for-counter", waiting && !!view.for_counter_label);
    setText("remote", t("phone.remote"));
    show("remote", view.channel === "remote");
    var labels = ["service", "ahead", "wait", "counter"];
    for (var i = 0; i < labels.length; i++) { setText("l-" + labels[i], t("status." + labels[i])); }
    rowValue("service", serviceName(view));
    rowValue("ahead", waiting && view.ahead !== null ? String(view.ahead) : "");
    rowValue("wait", waiting ? estimate() : "");
    rowValue("counter", view.counter_label || "");
    setText("notify", t("phone.notify"));
    show("notify", waiting && canAsk());
    setText("l-feedback", t("phone.feedback_title"));
    for (var n = 1; n <= 5; n++) { setText("l-score-" + n, t("phone.score_" + n)); }
    setText("l-comment", t("phone.comment"));
    setText("l-send", t("phone.send"));
    var done = view.status === "done";
    show("feedback", done && !feedbackGiven);
    setText("feedback-done", feedbackGiven === "thanks" ? t("phone.thanks") : t("phone.already"));
    show("feedback-done", done && !!feedbackGiven);
    setText("called-number", view.number);
    setText("called-text", t("phone.go_to", { counter: view.counter_label || "" }));
    setText("called-hint", t("phone.called_hint"));
    setText("called-ok", t("phone.ok"));
    if (view.status !== "called") { show("called", false); }
    setText("footer", stream ? t("phone.live") : t("status.footer", { seconds: C.fallbackSeconds }));
    var links = document.querySelectorAll("nav a[data-lang]");
    for (var j = 0; j < links.length; j++) {
      if (links[j].getAttribute("data-lang") === lang) {
        links[j].setAttribute("aria-current", "true");
      } else {
        links[j].removeAttribute("aria-current");
      }
    }
  }

  /* Sound and vibration ---------------------------------------------------------------- */

  function unlockAudio() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return null; }
    if (!audio) {
      try { audio = new Context(); } catch (e) { return null; }
    }
    if (audio.state === "suspended" && audio.resume) { audio.resume(); }
    return audio;
  }

  function chime() {
    var ctx = unlockAudio();
    if (!ctx) { return; }
    var start = ctx.currentTime + 0.05;
    var notes = [660, 880, 660, 880];
    for (var i = 0; i < notes.length; i++) {
      var osc = ctx.createOscillator();
      var gain = ctx.createGain();
      osc.frequency.value = notes[i];
      gain.gain.setValueAtTime(0.0001, start + i * 0.35);
      gain.gain.exponentialRampToValueAtTime(0.4, start + i * 0.35 + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.35 + 0.3);
      osc.connect(gain);
      gain.connect(ctx.destination);
      osc.start(start + i * 0.35);
      osc.stop(start + i * 0.35 + 0.32);
    }
  }

  function called() {
    show("called", true);
    if (navigator.vibrate) { navigator.vibrate([400, 200, 400, 200, 400]); }
    chime();
    say(t("phone.go_to", { counter: view.counter_label || "" }));
    $("called-ok").focus();
  }

  /* Notifications ---------------------------------------------------------------------- */

  function canAsk() {
    return !!window.Notification && Notification.permission === "default";
  }

  function notify(title, body) {
    if (!window.Notification || Notification.permission !== "granted") { return; }
    try {
      new Notification(title, { body: body, tag: "turnero-" + view.number, lang: lang });
    } catch (e) {
      // Android Chrome allows notifications from a service worker only: the page still says it.
    }
  }

  function askPermission() {
    // Old browsers answer through the callback, new ones through the promise; some do both.
    var once = false;
    var answered = function () {
      if (once) { return; }
      once = true;
      render();
      if (Notification.permission === "granted") { say(t("phone.notify_on")); }
    };
    var asked = Notification.requestPermission(answered);
    if (asked && asked.then) { asked.then(answered); }
  }

  /* Updates ---------------------------------------------------------------------------- */

  function update(next, texts) {
    var before = view;
    view = next;
    waitText = texts;
    render();
    if (next.status === "called" && (!calledSeen || next.recalls > before.recalls)) {
      called();
    } else if (isNear() && !nearSaid) {
      nearSaid = true;
      var body = t("phone.near_body", { n: String(next.ahead) });
      say(t("phone.near") + ". " + body);
      notify(t("phone.near"), body);
    } else if (next.status !== before.status) {
      say(statusLine());
    } else if (next.status === "waiting" && next.ahead !== before.ahead) {
      say(t("phone.ahead_now", { n: String(next.ahead) }));
    }
    calledSeen = next.status === "called";
    if (ENDED[next.status] && next.status !== "no_show" && stream) {
      stream.close();  // nothing more will change: do not hold a connection for it
    }
  }

  function reloadLater() {
    if (reloadTimer === null) {
      reloadTimer = setTimeout(function () { window.location.reload(); }, C.fallbackSeconds * 1000);
    }
  }

  function follow() {
    if (!window.EventSource) { reloadLater(); return; }
    stream = new EventSource(C.stream);
    stream.addEventListener("ticket.updated", function (event) {
      heard = true;
      failures = 0;
      var data = JSON.parse(event.data);
      update(data.ticket, data.wait_text);
    });
    stream.onerror = function () {
      failures += 1;
      // Never a message after a few tries: streams do not get through here.
      if (!heard && failures >= 3) {
        stream.close();
        stream = null;
        render();
        reloadLater();
      }
    };
  }

  /* Feedback --------------------------------------------------------------------------- */

  function sendFeedback(event) {
    event.preventDefault();
    var form = $("feedback");
    var score = null;
    var radios = form.elements.score;
    for (var i = 0; i < radios.length; i++) { if (radios[i].checked) { score = Number(radios[i].value); } }
    var error = $("feedback-error");
    if (score === null) { error.textContent = t("phone.pick_score"); return; }
    var request = new XMLHttpRequest();
    request.open("POST", C.feedback);
    request.setRequestHeader("Content-Type", "application/json");
    request.onreadystatechange = function () {
      if (request.readyState !== 4) { return; }
      if (request.status === 201) {
        feedbackGiven = "thanks";
      } else if (request.status === 409) {
        feedbackGiven = "already";
      } else {
        error.textContent = t("phone.failed");
        return;
      }
      error.textContent = "";
      render();
      say($("feedback-done").textContent);
    };
    request.send(JSON.stringify({ score: score, comment: $("comment").value }));
  }

  /* Language --------------------------------------------------------------------------- */

  function switchTo(event) {
    var code = this.getAttribute("data-lang");
    if (!C.text[code]) { return; }
    event.preventDefault();
    lang = code;
    if (window.history && history.replaceState) { history.replaceState(null, "", "?lang=" + code); }
    render();
  }

  var links = document.querySelectorAll("nav a[data-lang]");
  for (var k = 0; k < links.length; k++) { links[k].onclick = switchTo; }
  $("feedback").onsubmit = sendFeedback;
  $("notify").onclick = askPermission;
  $("called-ok").onclick = function () { show("called", false); $("number").focus(); };
  // Browsers start sound only after a touch: make the first one count for the call's chime.
  document.addEventListener("click", unlockAudio, true);
  document.addEventListener("touchstart", unlockAudio, true);
  $("number").setAttribute("tabindex", "-1");
  follow();
  render();
  if (view.status === "called") { show("called", true); }
  if (isNear()) { nearSaid = true; }
})();
