// The correction buttons (`digits serve --collect DIR`): after each answer, "Correct" or one of "0".."9"
// sends the picture the model just read (the very PNG it was sent) with that digit to POST collect.
// A sure digit offers "Correct" and "Wrong", the digits folded behind "Wrong"; an unsure answer or no digit
// at all puts the digits forward at once (open and highlighted), as "Wrong" does: that is when a person's
// answer teaches the model most. Invisible while there is no answer (its space kept, so nothing moves under
// the pen as answers come and go), and not there at all when GET health says collection is off.
"use strict";

const corrections = (() => {
  const panel = document.getElementById("collect");
  const ask = document.getElementById("ask");
  const correct = document.getElementById("correct");
  const wrong = document.getElementById("wrong");
  const message = document.getElementById("collected");
  const ASK = {
    digit: () => "Teach the model: save this picture with the right digit.",
    unsure: ([first, second]) => `The model is not sure: is it ${a(first)}, ${a(second)} or another digit?`,
    not_a_digit: () => "If it is a digit, which one? Teach the model.",
    wrong: () => "Which digit is it?",
  };
  let on = false, current = null, pending = 0;

  for (let digit = 0; digit < 10; digit++) {
    const button = document.createElement("button");
    Object.assign(button, { type: "button", id: `label-${digit}`, textContent: digit, title: `it's ${a(digit)}` });
    button.setAttribute("aria-label", `it's ${a(digit)}`);
    button.addEventListener("click", () => save(digit));
    document.getElementById("labels").append(button);
  }
  correct.addEventListener("click", () => current && save(current.digit));
  wrong.addEventListener("click", () => {
    putForward("wrong", []);
    document.getElementById("label-0").focus(); // straight on to the digits, from the keyboard too
  });

  // picture: the Blob or File the answer is for; decision: the answer's; digits: its two likeliest, in order
  function offer(picture, decision, digits) {
    current = { picture, digit: digits[0] };
    correct.textContent = `Correct: it's ${a(digits[0])}`;
    correct.hidden = wrong.hidden = decision !== "digit"; // nothing to confirm in an answer that names no digit
    if (decision === "digit") fold();
    else putForward(decision, digits);
    say("");
    panel.classList.remove("waiting");
  }

  function putForward(why, digits) {
    ask.textContent = ASK[why](digits);
    panel.dataset.open = "true";
    wrong.setAttribute("aria-expanded", "true");
  }

  function fold() {
    ask.textContent = ASK.digit();
    panel.dataset.open = "false";
    wrong.setAttribute("aria-expanded", "false");
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
