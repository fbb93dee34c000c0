/* /b/{branch}: "Join the queue" takes a paperless ticket, then opens its /t/ page.
   Plain ES5 for old phone browsers. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("branch-data").textContent);
  var status = document.getElementById("status");
  var forms = document.querySelectorAll("form.join");

  function say(text) {
    status.textContent = text;
  }

  function refusal(xhr) {
    try {
      return JSON.parse(xhr.responseText).detail || xhr.statusText;
    } catch (e) {
      return xhr.statusText || String(xhr.status);
    }
  }

  function join(form) {
    var button = form.getElementsByTagName("button")[0];
    var xhr = new XMLHttpRequest();
    button.disabled = true;
    say(data.joining);
    xhr.open("POST", form.getAttribute("action"), true);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("Accept", "application/json");
    xhr.onreadystatechange = function () {
      if (xhr.readyState !== 4) {
        return;
      }
      button.disabled = false;
      if (xhr.status === 201 || xhr.status === 200) {
        var ticket = JSON.parse(xhr.responseText);
        window.location.href = "/t/" + encodeURIComponent(ticket.id) + "?lang=" + data.lang;
      } else if (xhr.status === 0) {
        say(data.offline);
      } else {
        say(data.failed.replace("{detail}", refusal(xhr)));
      }
    };
    xhr.send(JSON.stringify({ service: form.getAttribute("data-service"), language: data.lang }));
  }

  function hook(form) {
    form.removeAttribute("hidden");
    form.onsubmit = function (event) {
      if (event && event.preventDefault) {
        event.preventDefault();
      }
      join(form);
      return false;
    };
  }

  for (var i = 0; i < forms.length; i++) {
    hook(forms[i]);
  }
})();
