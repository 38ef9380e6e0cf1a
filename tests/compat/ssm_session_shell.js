// A shell through a session's StreamUrl with the ssm-session package from npm: an independent
// client of AWS's session protocol (it pads message types with NULs, sends a digest that is not
// SHA-256, never resends, and acknowledges everything it receives).
//
// usage: node ssm_session_shell.js STREAM_URL TOKEN LINE...
// Sends the terminal size (40 rows, 132 columns) at once, waits for the first output (the
// prompt), then types each LINE followed by a carriage return ("^C" alone sends Ctrl-C),
// one every 300 ms. Prints everything the shell wrote; exits 0 when the server closes the
// socket (after "exit"), 3 after 30 s.
"use strict";

const WebSocket = require("ws");
const { ssm } = require("ssm-session");

const [url, token, ...lines] = process.argv.slice(2);
const socket = new WebSocket(url);
socket.binaryType = "arraybuffer";
let output = "";
let typing = false;

const deadline = setTimeout(() => {
  process.stdout.write(output);
  process.stderr.write("\nno end of session within 30 s\n");
  process.exit(3);
}, 30000);

function typeLines() {
  const line = lines.shift();
  if (line === undefined) return;
  const keys = line === "^C" ? "\x03" : line + "\r";
  ssm.sendText(socket, new TextEncoder().encode(keys));
  setTimeout(typeLines, 300);
}

socket.on("open", () => ssm.init(socket, { token: token, termOptions: { rows: 40, cols: 132 } }));
socket.on("message", (data, isBinary) => {
  if (!isBinary) return;
  const message = ssm.decode(data);
  ssm.sendACK(socket, message);
  if (message.payloadType === 1) {
    output += Buffer.from(message.payload).toString("utf8");
    if (!typing) {
      typing = true;
      setTimeout(typeLines, 300);
    }
  }
});
socket.on("close", () => {
  clearTimeout(deadline);
  process.stdout.write(output);
  process.exit(0);
});
socket.on("error", (error) => {
  process.stderr.write(`websocket error: ${error}\n`);
  process.exit(2);
});
