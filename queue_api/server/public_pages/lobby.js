/* /b/{branch}/lobby: the lobby board kept live over /b/{branch}/lobby/events (calls and
   waiting counts only), with a chime through Web Audio once someone touched the screen.
   Plain ES5 for old TV browsers. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("lobby-data").textContent);
  var root = document.documentElement;
  var calls = [];
  var newest = 0;
  var waitingAsOf = -1;
  var audio = null;
  var chimes = 0;
  var stream = null;
  var fresh = null;

  function $(id) {
    return document.getElementById(id);
  }

  function text(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return values.hasOwnProperty(name) ? values[name] : all;
    });
  }

  function element(tag, content) {
    var made = document.createElement(tag);
    made.appendChild(document.createTextNode(content));
    return made;
  }

  function showCalls() {
    var first = calls[0];
    var list = $("calls");
    $("number").textContent = first ? first.number : "";
    $("counter").textContent = first ? text(data.t.go_to, { counter: first.counter }) : data.t.no_calls;
    if (first && first.recall) {
      $("recall").removeAttribute("hidden");
    } else {
      $("recall").setAttribute("hidden", "");
    }
    while (list.firstChild) {
      list.removeChild(list.firstChild);
    }
    for (var i = 1; i < calls.length && i < data.keep; i++) {
      var row = document.createElement("li");
      row.appendChild(element("b", calls[i].number));
      row.appendChild(element("span", calls[i].counter));
      list.appendChild(row);
    }
  }

  function showWaiting(counts) {
    var rows = $("waiting").getElementsByTagName("li");
    for (var i = 0; i < rows.length; i++) {
      var service = rows[i].getAttribute("data-service");
      var count = rows[i].getElementsByTagName("b")[0];
      count.textContent = String(counts[service] || 0);
    }
    root.setAttribute("data-waiting-as-of", String(waitingAsOf));
  }

  /* The newest call of each ticket, newest first. */
  function withCall(list, call) {
    var kept = [call];
    for (var i = 0; i < list.length; i++) {
      if (list[i].number !== call.number) {
        kept.push(list[i]);
      }
    }
    return kept.slice(0, data.keep);
  }

  function onBoard(board) {
    calls = [];
    for (var i = board.calls.length - 1; i >= 0; i--) {
      calls = withCall(calls, board.calls[i]);
      newest = Math.max(newest, board.calls[i].id);
    }
    newest = Math.max(newest, board.as_of);
    showCalls();
    if (board.as_of >= waitingAsOf) {
      waitingAsOf = board.as_of;
      showWaiting(board.waiting);
    }
  }

  function onCall(call) {
    if (call.id <= newest) {
      return;
    }
    newest = call.id;
    calls = withCall(calls, call);
    showCalls();
    $("announce").textContent = text(data.t.announce, { number: call.number, counter: call.counter });
    $("hero").className = "fresh";
    clearTimeout(fresh);
    fresh = setTimeout(function () { $("hero").className = ""; }, 10000);
    chime();
    root.setAttribute("data-last-call", call.number);
  }

  function onTransfer(moved) {
    var kept = [];
    for (var i = 0; i < calls.length; i++) {
      if (calls[i].number !== moved.number) {
        kept.push(calls[i]);
      }
    }
    calls = kept;
    showCalls();
  }

  function onWaiting(update) {
    if (update.as_of < waitingAsOf) {
      return; /* older than what is shown */
    }
    waitingAsOf = update.as_of;
    showWaiting(update.waiting);
  }

  function tone(frequency, start, length) {
    var oscillator = audio.createOscillator();
    var gain = audio.createGain();
    oscillator.type = "sine";
    oscillator.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start);
    gain.gain.exponentialRampToValueAtTime(0.4, start + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + length);
    oscillator.connect(gain);
    gain.connect(audio.destination);
    oscillator.start(start);
    oscillator.stop(start + length);
  }

  function chime() {
    if (!audio) {
      return;
    }
    var now = audio.currentTime;
    tone(659.25, now, 0.6); /* E5, then C5: "ding-dong" */
    tone(523.25, now + 0.45, 0.9);
    chimes += 1;
    root.setAttribute("data-chimes", String(chimes));
  }

  function enableSound() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) {
      return;
    }
    audio = audio || new Context();
    if (audio.resume) {
      audio.resume();
    }
    $("sound").setAttribute("hidden", "");
    root.setAttribute("data-sound", "on");
  }

  function live(up) {
    root.className = up ? "" : "offline";
  }

  function listen(type, handler) {
    stream.addEventListener(type, function (event) {
      live(true);
      handler(JSON.parse(event.data));
    });
  }

  function connect() {
    if (!window.EventSource) {
      /* No streams in this browser: show the server's board again now and then. */
      setTimeout(function () { window.location.reload(); }, 30000);
      return;
    }
    stream = new window.EventSource(data.stream);
    listen("board", onBoard);
    listen("call", onCall);
    listen("transfer", onTransfer);
    listen("waiting", onWaiting);
    stream.onerror = function () {
      live(false);
      if (stream.readyState === 2) {
        /* Refused (busy, or the server restarting): the browser gives up, so try again. */
        setTimeout(connect, 5000);
      }
    };
  }

  function tick() {
    var now = new Date();
    var minutes = now.getMinutes();
    $("clock").textContent = now.getHours() + ":" + (minutes < 10 ? "0" : "") + minutes;
  }

  if (window.AudioContext || window.webkitAudioContext) {
    $("sound").removeAttribute("hidden");
    $("sound").onclick = enableSound;
  }
  tick();
  setInterval(tick, 10000);
  connect();
})();
