// The drawing page: strokes on a canvas (pointer events: mouse, touch, pen) or an image file go to
// POST predict; the answer's decision, in words, fills #prediction ("7", "Not sure: 4 or 9", "That doesn't
// look like a digit"), with one bar per digit and the 28x28 picture the model saw, and offers the
// correction buttons of collect.js.
"use strict";

const canvas = document.getElementById("canvas");
const pen = canvas.getContext("2d");
const INK_WIDTH = 20; // px on the 280 px canvas: MNIST strokes are about 2 px of 28
const SEND_SIDE = 112; // px: the drawing goes to the server at 4x MNIST's 28
const PAUSE_MS = 120; // while drawing, ask the server at most this often (and always after the last stroke)
const bars = [];
let drawing = false, last = null, inked = false, timer = null, sent = 0, shown = 0, asking = 0;
let canvasTurn = 0; // counts drawings and uploads: a late upload must not paint over, or clear, what came after

for (let digit = 0; digit < 10; digit++) {
  const row = document.createElement("li");
  row.innerHTML = `<span class="label">${digit}</span><span class="bar"><span class="fill"></span></span>` +
    `<span class="value"></span>`;
  document.getElementById("bars").append(row);
  bars.push(row);
}

function clearCanvas() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, canvas.width, canvas.height);
  inked = false;
}

function canvasPoint(event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * canvas.width / box.width, (event.clientY - box.top) * canvas.height / box.height];
}

function stroke(from, to) {
  Object.assign(pen, { strokeStyle: "#000", fillStyle: "#000", lineWidth: INK_WIDTH, lineCap: "round" });
  pen.beginPath();
  if (from[0] === to[0] && from[1] === to[1]) { // a zero-length line is not drawn at all: a click leaves a dot
    pen.arc(...from, INK_WIDTH / 2, 0, 2 * Math.PI);
    pen.fill();
  } else {
    pen.moveTo(...from);
    pen.lineTo(...to);
    pen.stroke();
  }
  inked = true;
}

function soon() { // throttled: one request per pause, the last one sent after the last change
  if (timer === null) timer = setTimeout(now, PAUSE_MS);
  updateState();
}

function now() {
  clearTimeout(timer);
  timer = null;
  sendCanvas();
  updateState();
}

canvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  canvas.setPointerCapture(event.pointerId);
  drawing = true;
  canvasTurn++;
  last = canvasPoint(event);
  stroke(last, last);
  soon();
});
canvas.addEventListener("pointermove", (event) => {
  if (!drawing) return;
  const point = canvasPoint(event);
  stroke(last, point);
  last = point;
  soon();
});
for (const type of ["pointerup", "pointercancel"]) {
  canvas.addEventListener(type, () => {
    if (drawing) now();
    drawing = false;
  });
}

function sendCanvas() { // scaled down first: the model sees 28x28, and a small PNG is quick to send and decode
  if (!inked) return;
  const small = document.createElement("canvas");
  small.width = small.height = SEND_SIDE;
  const brush = small.getContext("2d");
  brush.imageSmoothingQuality = "high";
  brush.drawImage(canvas, 0, 0, SEND_SIDE, SEND_SIDE);
  ask(new Promise((done) => small.toBlob(done, "image/png")), false);
}

function sendFile(file) {
  if (!file) return;
  const turn = ++canvasTurn;
  let refused = false;
  clearCanvas(); // the drawing is gone either way; a file the browser cannot show leaves the canvas blank
  ask(file, true).then((outcome) => {
    refused = outcome === "refused";
    if (refused && turn === canvasTurn) clearCanvas(); // not a digit: do not leave it there as if it were read
  });
  createImageBitmap(file).then((picture) => { // show it on the canvas too, scaled to fit
    if (refused || turn !== canvasTurn) return;
    const scale = Math.min(canvas.width / picture.width, canvas.height / picture.height);
    const w = picture.width * scale, h = picture.height * scale;
    pen.drawImage(picture, (canvas.width - w) / 2, (canvas.height - h) / 2, w, h);
  }, () => {}); // a file the browser cannot show: the server's answer says what is wrong
}

// picture: a Blob or File, or a promise of one; sent as the body (a PNG) or, asForm, as the form field "file".
// Resolves to "shown", "refused" (an error is shown) or "late" (a newer answer is already shown).
async function ask(picture, asForm) {
  const id = ++sent;
  let response, answer, blob;
  asking++;
  updateState();
  try {
    blob = await picture;
    const request = asForm ? { body: formWith(blob) } : { body: blob, headers: { "Content-Type": "image/png" } };
    response = await fetch("predict?with_image=true", { method: "POST", ...request });
    answer = await response.json();
  } catch (err) {
    if (id < shown) return "late";
    showError(`no answer from the server (${err.message})`);
    return "refused";
  } finally {
    asking--;
    updateState();
  }
  if (id < shown) return "late"; // an older answer arriving late
  shown = id;
  if (!response.ok) {
    showError(answer.error || `HTTP ${response.status}`);
    return "refused";
  }
  show(answer, blob);
  return "shown";
}

function formWith(file) {
  const form = new FormData();
  form.append("file", file);
  return form;
}

function updateState() { // <body data-state="busy|idle">: the answer shown is for the picture shown once idle
  document.body.dataset.state = asking > 0 || timer !== null ? "busy" : "idle";
}

function percent(p) {
  return `${(100 * p).toFixed(1)}%`;
}

// The answer in words. decision: "digit", "unsure" (the two likeliest digits named) or "not_a_digit" (none).
function show(answer, picture) {
  const p = answer.probabilities;
  const first = answer.digit; // the likeliest digit, then the likeliest of the others
  const second = [...p.keys()].filter((d) => d !== first).reduce((a, b) => (p[b] > p[a] ? b : a));
  const named = { digit: [first], unsure: [first, second], not_a_digit: [] }[answer.decision];
  const words = { digit: `${first}`, unsure: `Not sure: ${first} or ${second}`,
    not_a_digit: "That doesn't look like a digit" };
  document.querySelector(".answer").dataset.decision = answer.decision;
  document.getElementById("prediction").textContent = words[answer.decision];
  document.getElementById("confidence").textContent = named.map((digit) => percent(p[digit])).join(" or ");
  document.getElementById("model-input").src = answer.image;
  document.getElementById("error").textContent = "";
  p.forEach((prob, digit) => {
    bars[digit].querySelector(".fill").style.width = `${100 * prob}%`;
    bars[digit].querySelector(".value").textContent = percent(prob);
    bars[digit].classList.toggle("top", named.includes(digit));
  });
  corrections.offer(picture, answer.decision, [first, second]);
}

function showError(message) {
  reset();
  document.getElementById("error").textContent = message;
}

function reset() {
  shown = sent; // answers still on their way are for a picture that is gone
  delete document.querySelector(".answer").dataset.decision;
  document.getElementById("prediction").textContent = "–";
  document.getElementById("confidence").textContent = "";
  document.getElementById("model-input").removeAttribute("src");
  document.getElementById("error").textContent = "";
  for (const row of bars) {
    row.querySelector(".fill").style.width = "0";
    row.querySelector(".value").textContent = "";
    row.classList.remove("top");
  }
  corrections.withdraw();
}

document.getElementById("clear").addEventListener("click", () => {
  canvasTurn++;
  clearCanvas();
  reset();
});
document.getElementById("file").addEventListener("change", (event) => {
  sendFile(event.target.files[0]);
  event.target.value = ""; // so choosing the same file again is a change too
});
canvas.addEventListener("dragover", (event) => { event.preventDefault(); canvas.classList.add("dropping"); });
canvas.addEventListener("dragleave", () => canvas.classList.remove("dropping"));
canvas.addEventListener("drop", (event) => {
  event.preventDefault();
  canvas.classList.remove("dropping");
  sendFile(event.dataTransfer.files[0]);
});

fetch("model").then((r) => r.json()).then((model) => {
  document.getElementById("model").textContent =
    `model: ${model.model} (${model.architecture}, ${model.parameters.toLocaleString("en")} parameters, md5 ${model.md5})`;
}, () => {});

clearCanvas();
updateState();
