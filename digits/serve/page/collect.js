// The correction buttons (`digits serve --collect DIR`): after each answer, "Correct" or one of "0".."9"
// sends the picture the model just read (the very PNG it was sent) with that digit to POST collect.
// Invisible while there is no answer (its space kept, so nothing moves under the pen as answers come and
// go), and not there at all when GET health says collection is off.
"use strict";

const corrections = (() => {
  const panel = document.getElementById("collect");
  const correct = document.getElementById("correct");
  const message = document.getElementById("collected");
  let on = false, current = null, pending = 0;

  for (let digit = 0; digit < 10; digit++) {
    const button = document.createElement("button");
    Object.assign(button, { type: "button", id: `label-${digit}`, textContent: digit, title: `it's ${a(digit)}` });
    button.setAttribute("aria-label", `it's ${a(digit)}`);
    button.addEventListener("click", () => save(digit));
    document.getElementById("labels").append(button);
  }
  correct.addEventListener("click", () => current && save(current.digit));

  function offer(picture, digit) { // picture: the Blob or File the answer is for
    current = { picture, digit };
    correct.textContent = `Correct: it's ${a(digit)}`;
    say("");
    panel.classList.remove("waiting");
  }

  function withdraw() {
    current = null;
    panel.classList.add("waiting");
  }

  function a(digit) { // "a 7", "an 8"
    return `${digit === 8 ? "an" : "a"} ${digit}`;
  }

  function say(text, failed = false) {
    message.textContent = text;
    message.classList.toggle("failed", failed);
  }

  async function save(label) {
    const mine = current;
    const form = new FormData();
    form.append("file", mine.picture, mine.picture.name || "drawing.png");
    form.append("label", String(label));
    pending++;
    panel.dataset.state = "busy";
    let text, failed = false;
    try {
      const response = await fetch("collect", { method: "POST", body: form });
      const answer = await response.json();
      failed = !response.ok;
      text = failed ? answer.error || `HTTP ${response.status}` : `${answer.created ? "saved" : "already saved"} as ${a(label)}`;
    } catch (err) {
      [text, failed] = [`not saved: no answer from the server (${err.message})`, true];
    } finally {
      pending--;
      panel.dataset.state = pending > 0 ? "busy" : "idle";
    }
    if (current === mine) say(text, failed); // not for a picture that is gone
  }

  fetch("health").then((r) => r.json()).then((health) => {
    on = health.collect === true;
    panel.hidden = !on;
  }, () => {});

  return { offer, withdraw };
})();
