// The chat page of zhi: talks to the OpenAI-compatible API of its own origin.
"use strict";

const $ = (id) => document.getElementById(id);
const ui = {
  messages: $("messages"), stats: $("stats"), composer: $("composer"), prompt: $("prompt"),
  send: $("send"), stop: $("stop"), newChat: $("new-chat"), model: $("model"),
  settings: $("settings"), system: $("system"), temperature: $("temperature"), topP: $("top-p"),
  maxTokens: $("max-tokens"), seed: $("seed"), apiKey: $("api-key"),
  tokens: $("tokens"), tokensHint: $("tokens-hint"), probs: $("probs"),
};

// ---- Markdown: the text is escaped first, so only the tags made here reach the page.

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function renderInline(text) {
  // Code spans and link targets are set aside so emphasis cannot reach into them.
  const kept = [];
  const keep = (html) => "\u0000" + (kept.push(html) - 1) + "\u0000";
  let s = escapeHTML(text);
  s = s.replace(/`([^`\n]+)`/g, (_, code) => keep("<code>" + code + "</code>"));
  s = s.replace(/\[([^[\]\n]+)\]\((https?:\/\/[^\s)]+)\)/gi, (_, label, url) =>
    keep('<a href="' + url + '" target="_blank" rel="noopener noreferrer">') + label + keep("</a>"));
  // Underscores count only at word edges, so snake_case stays text.
  // A span cannot hold its own delimiter, so each opener scans only to the
  // next delimiter and long unbalanced text stays linear.
  s = s.replace(/\*\*(?=\S)((?:[^*]|\*(?!\*))*?\S)\*\*/g, "<strong>$1</strong>");
  s = s.replace(/(^|\W)__(?=\S)((?:[^_]|_(?!_))*?\S)__(?!\w)/g, "$1<strong>$2</strong>");
  s = s.replace(/\*(?=[^\s*])([^*]*?[^\s*])\*/g, "<em>$1</em>");
  s = s.replace(/(^|\W)_(?=\S)([^_]*?\S)_(?!\w)/g, "$1<em>$2</em>");
  s = s.replace(/~~(?=\S)((?:[^~]|~(?!~))*?\S)~~/g, "<del>$1</del>");
  return s.replace(/\u0000(\d+)\u0000/g, (_, i) => kept[i]);
}

const tableRule = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function tableCells(line, tag) {
  const cells = line.trim().replace(/^\||\|$/g, "").split("|");
  return "<tr>" + cells.map((c) => `<${tag}>${renderInline(c.trim())}</${tag}>`).join("") + "</tr>";
}

// renderMarkdown turns the common subset of Markdown that models write into
// HTML. It accepts unfinished text, since it renders an answer as it streams.
function renderMarkdown(src) {
  const lines = src.replace(/\u0000/g, "").replace(/\r\n?/g, "\n").split("\n");
  const out = [];
  let para = [];
  const lists = []; // open lists, innermost last: {tag, indent}
  let blank = false;
  const flushPara = () => {
    if (para.length) out.push("<p>" + renderInline(para.join("\n")).replace(/\n/g, "<br>") + "</p>");
    para = [];
  };
  const closeLists = (indent) => {
    while (lists.length && lists[lists.length - 1].indent > indent) out.push("</li></" + lists.pop().tag + ">");
  };
  const closeAll = () => { flushPara(); closeLists(-1); };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if ((m = /^\s*(```|~~~)\s*([\w+#.-]*)/.exec(line))) {
      closeAll();
      const code = [];
      while (++i < lines.length && !lines[i].trim().startsWith(m[1])) code.push(lines[i]);
      const lang = m[2] ? ` class="language-${escapeHTML(m[2])}"` : "";
      out.push(`<pre><code${lang}>${escapeHTML(code.join("\n"))}</code></pre>`);
    } else if (line.trim() === "") {
      flushPara();
      blank = true;
      continue;
    } else if ((m = /^\s*(#{1,6})\s+(.*)$/.exec(line))) {
      closeAll();
      const title = m[2].trimEnd().replace(/(^|\s)#+$/, "").trimEnd();
      out.push(`<h${m[1].length}>${renderInline(title)}</h${m[1].length}>`);
    } else if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      closeAll();
      out.push("<hr>");
    } else if (/^\s*>/.test(line)) {
      closeAll();
      const quoted = [];
      for (; i < lines.length && /^\s*>/.test(lines[i]); i++) quoted.push(lines[i].replace(/^\s*>\s?/, ""));
      i--;
      out.push("<blockquote>" + renderMarkdown(quoted.join("\n")) + "</blockquote>");
    } else if (line.includes("|") && i + 1 < lines.length && lines[i + 1].includes("|") && tableRule.test(lines[i + 1])) {
      closeAll();
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes("|") && lines[i].trim() !== ""; i++) rows.push(tableCells(lines[i], "td"));
      i--;
      out.push(`<table><thead>${tableCells(line, "th")}</thead><tbody>${rows.join("")}</tbody></table>`);
    } else if ((m = /^(\s*)([-*+]|(\d{1,9})[.)])\s+(.*)$/.exec(line))) {
      flushPara();
      const indent = m[1].length;
      const tag = m[3] === undefined ? "ul" : "ol";
      closeLists(indent);
      const top = lists[lists.length - 1];
      if (top && top.indent === indent && top.tag !== tag) closeLists(indent - 1);
      const same = lists.length && lists[lists.length - 1].indent === indent;
      if (same) {
        out.push("</li>");
      } else {
        lists.push({ tag, indent });
        out.push(tag === "ol" && m[3] !== "1" ? `<ol start="${Number(m[3])}">` : `<${tag}>`);
      }
      out.push("<li>" + renderInline(m[4]));
    } else if (lists.length && (!blank || /^\s/.test(line))) {
      out.push("<br>" + renderInline(line.trim()));
    } else {
      closeLists(-1);
      para.push(line);
    }
    blank = false;
  }
  closeAll();
  return out.join("");
}

// ---- Settings, kept in localStorage.

const settingFields = ["system", "temperature", "topP", "maxTokens", "seed"];

function loadSettings() {
  try {
    const saved = JSON.parse(localStorage.getItem("zhi.settings") || "{}");
    for (const k of settingFields) if (typeof saved[k] === "string") ui[k].value = saved[k];
    ui.apiKey.value = localStorage.getItem("zhi.apiKey") || "";
  } catch (_) {
    // Unreadable settings are just forgotten.
  }
}

function saveSettings() {
  const values = {};
  for (const k of settingFields) values[k] = ui[k].value;
  localStorage.setItem("zhi.settings", JSON.stringify(values));
  localStorage.setItem("zhi.apiKey", ui.apiKey.value);
}

// ---- The API.

function apiHeaders() {
  const h = { "Content-Type": "application/json" };
  const key = ui.apiKey.value.trim();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

async function errorMessage(res) {
  let detail = res.statusText;
  try {
    const body = await res.json();
    detail = (body.error && body.error.message) || detail;
  } catch (_) {
    // Not JSON: the status says enough.
  }
  return `Error ${res.status}: ${detail}`;
}

const modelsFailed = "Could not list models. ";
let modelsRequest = 0;

// loadModels fills the model list. Each change of the API key asks again,
// and only the latest answer counts, however the answers arrive.
async function loadModels() {
  const id = ++modelsRequest;
  try {
    const res = await fetch("/v1/models", { headers: apiHeaders() });
    if (!res.ok) throw new Error(await errorMessage(res));
    const list = (await res.json()).data || [];
    if (id !== modelsRequest) return;
    const previous = ui.model.value;
    ui.model.replaceChildren(...list.map((m) => new Option(m.id, m.id)));
    if (list.some((m) => m.id === previous)) ui.model.value = previous;
    // A failure to list is over; the stats of an answer stay.
    if (ui.stats.textContent.startsWith(modelsFailed)) ui.stats.textContent = "";
  } catch (err) {
    if (id === modelsRequest) ui.stats.textContent = modelsFailed + err.message;
  }
}

// sseData yields the payload of each "data:" line of a server-sent event
// stream. OpenAI-style streams carry one JSON object per line, so each line
// is taken on its own.
async function* sseData(body) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    buf += decoder.decode(value || new Uint8Array(), { stream: !done });
    const lines = buf.split("\n");
    buf = done ? "" : lines.pop();
    for (const line of lines) {
      const m = /^data: ?(.*?)\r?$/.exec(line);
      if (m) yield m[1];
    }
    if (done) return;
  }
}

function numberSetting(input, integer) {
  const v = input.valueAsNumber;
  if (!Number.isFinite(v)) return undefined;
  return integer ? Math.trunc(v) : v;
}

function requestBody() {
  const system = ui.system.value.trim();
  return {
    model: ui.model.value || undefined,
    messages: (system ? [{ role: "system", content: system }] : []).concat(chat.history),
    stream: true,
    stream_options: { include_usage: true },
    logprobs: true,
    top_logprobs: 5,
    temperature: numberSetting(ui.temperature, false),
    top_p: numberSetting(ui.topP, false),
    max_tokens: numberSetting(ui.maxTokens, true),
    seed: numberSetting(ui.seed, true),
  };
}

// ---- The conversation.

const chat = { history: [], controller: null, id: 0 };

function addBubble(role, text) {
  const div = document.createElement("div");
  div.className = "msg " + role;
  if (role === "error") div.setAttribute("role", "alert");
  div.textContent = text;
  ui.messages.append(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function setBusy(busy) {
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.messages.setAttribute("aria-busy", String(busy));
}

async function send() {
  const text = ui.prompt.value.trim();
  if (!text || chat.controller) return;
  for (const old of ui.messages.querySelectorAll(".msg.error")) old.remove();
  ui.prompt.value = "";
  ui.stats.textContent = "";
  chat.history.push({ role: "user", content: text });
  const userBubble = addBubble("user", text);
  const bubble = addBubble("assistant streaming", "");
  const run = { id: chat.id, text: "", start: performance.now(), first: 0, last: 0, chunks: 0, usage: null, finish: null };
  const body = requestBody();
  chat.controller = new AbortController();
  setBusy(true);
  clearTokens();
  let frame = 0;
  const draw = () => {
    frame = 0;
    bubble.innerHTML = renderMarkdown(run.text);
  };
  try {
    const res = await fetch("/v1/chat/completions", {
      method: "POST", headers: apiHeaders(), body: JSON.stringify(body), signal: chat.controller.signal,
    });
    if (!res.ok) throw new Error(await errorMessage(res));
    for await (const data of sseData(res.body)) {
      if (data === "[DONE]") break;
      const chunk = JSON.parse(data);
      if (chunk.error) throw new Error("Error: " + (chunk.error.message || "the stream failed"));
      if (chunk.usage) run.usage = chunk.usage;
      const choice = chunk.choices && chunk.choices[0];
      if (!choice) continue;
      const delta = choice.delta && choice.delta.content;
      if (delta) {
        run.last = performance.now();
        run.first = run.first || run.last;
        run.chunks++;
        run.text += delta;
        frame = frame || requestAnimationFrame(draw);
      }
      for (const lp of (choice.logprobs && choice.logprobs.content) || []) addToken(lp);
      if (choice.finish_reason) run.finish = choice.finish_reason;
    }
    finishRun(run, "");
  } catch (err) {
    if (run.id !== chat.id) return; // the chat was cleared meanwhile
    const stopped = err.name === "AbortError";
    if (run.text === "") {
      // Nothing came back: take the turn back so it can be edited and resent.
      chat.history.pop();
      userBubble.remove();
      bubble.remove();
      ui.prompt.value = ui.prompt.value || text;
      if (stopped) ui.stats.textContent = "stopped";
    } else {
      finishRun(run, stopped ? "stopped" : "");
    }
    if (!stopped) addBubble("error", err.message);
  } finally {
    cancelAnimationFrame(frame);
    if (run.id === chat.id) {
      if (bubble.isConnected) draw();
      bubble.classList.remove("streaming");
      chat.controller = null;
      setBusy(false);
    }
  }
}

function finishRun(run, note) {
  if (run.id !== chat.id) return;
  chat.history.push({ role: "assistant", content: run.text });
  const n = (run.usage && run.usage.completion_tokens) || tokenState.list.length || run.chunks;
  const parts = [`${n} token${n === 1 ? "" : "s"}`];
  if (n > 1 && run.last > run.first) {
    parts.push(`${((n - 1) * 1000 / (run.last - run.first)).toFixed(1)} tokens/s`);
  } else if (n > 0 && run.last > run.start) {
    parts.push(`${(n * 1000 / (run.last - run.start)).toFixed(1)} tokens/s`);
  }
  if (run.first) parts.push(`first token after ${((run.first - run.start) / 1000).toFixed(2)} s`);
  if (run.finish === "length") parts.push("reached max tokens");
  if (note) parts.push(note);
  ui.stats.textContent = parts.join(" · ");
}

function newChat() {
  if (chat.controller) chat.controller.abort();
  chat.controller = null;
  chat.id++;
  chat.history = [];
  ui.messages.replaceChildren();
  ui.stats.textContent = "";
  clearTokens();
  setBusy(false);
  ui.prompt.focus();
}

// ---- Token probabilities of the last answer.

const tokenState = { list: [], selected: -1 };

function percent(logprob) {
  const p = Math.exp(logprob) * 100;
  if (p >= 0.1) return p.toFixed(1) + "%";
  return p > 0 ? "<0.1%" : "0%";
}

// tokenLabel shows a token unambiguously: quoted, with escapes, and as raw
// bytes when it is only part of a UTF-8 character.
function tokenLabel(t) {
  if (t.token.includes("\uFFFD") && Array.isArray(t.bytes) && t.bytes.length) {
    return t.bytes.map((b) => "<0x" + b.toString(16).toUpperCase().padStart(2, "0") + ">").join("");
  }
  return JSON.stringify(t.token);
}

function clearTokens() {
  tokenState.list = [];
  tokenState.selected = -1;
  ui.tokens.replaceChildren();
  ui.probs.replaceChildren();
  ui.tokensHint.hidden = false;
}

function addToken(lp) {
  if (!lp || typeof lp.token !== "string") return;
  const span = document.createElement("span");
  span.className = "token";
  span.dataset.index = tokenState.list.length;
  span.tabIndex = 0;
  span.setAttribute("role", "button");
  span.textContent = lp.token.replace(/\n/g, "↵\n") || "∅";
  span.title = tokenLabel(lp) + " " + percent(lp.logprob);
  span.style.setProperty("--p", Math.exp(lp.logprob).toFixed(3));
  tokenState.list.push(lp);
  ui.tokens.append(span);
  ui.tokensHint.hidden = true;
}

function showProbs(index) {
  const lp = tokenState.list[index];
  if (!lp) return;
  const head = document.createElement("p");
  head.className = "probs-head";
  head.textContent = `Token ${index + 1}: ${tokenLabel(lp)} was sampled at ${percent(lp.logprob)}`;
  const list = document.createElement("ol");
  list.className = "alts";
  for (const alt of lp.top_logprobs || []) {
    const li = document.createElement("li");
    if (alt.token === lp.token) li.className = "chosen";
    const label = document.createElement("code");
    label.textContent = tokenLabel(alt);
    const bar = document.createElement("span");
    bar.className = "bar";
    const fill = document.createElement("span");
    fill.style.width = (Math.exp(alt.logprob) * 100).toFixed(1) + "%";
    bar.append(fill);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = percent(alt.logprob);
    li.append(label, bar, pct);
    list.append(li);
  }
  ui.probs.replaceChildren(head, list);
}

function selectToken(index) {
  const old = ui.tokens.querySelector(".token.selected");
  if (old) old.classList.remove("selected");
  const span = ui.tokens.querySelector(`.token[data-index="${index}"]`);
  if (!span) return;
  span.classList.add("selected");
  tokenState.selected = index;
  showProbs(index);
}

const tokenIndex = (e) => {
  const span = e.target.closest(".token");
  return span ? Number(span.dataset.index) : -1;
};

// ---- Wiring.

ui.composer.addEventListener("submit", (e) => {
  e.preventDefault();
  send();
});
ui.prompt.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
document.addEventListener("keydown", (e) => {
  if (e.key === "Escape" && chat.controller) chat.controller.abort();
});
ui.stop.addEventListener("click", () => chat.controller && chat.controller.abort());
ui.newChat.addEventListener("click", newChat);
ui.tokens.addEventListener("click", (e) => tokenIndex(e) >= 0 && selectToken(tokenIndex(e)));
ui.tokens.addEventListener("focusin", (e) => tokenIndex(e) >= 0 && selectToken(tokenIndex(e)));
ui.tokens.addEventListener("mouseover", (e) => tokenIndex(e) >= 0 && showProbs(tokenIndex(e)));
ui.tokens.addEventListener("mouseleave", () => tokenState.selected >= 0 && showProbs(tokenState.selected));
ui.tokens.addEventListener("keydown", (e) => {
  const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
  const next = step && ui.tokens.querySelector(`.token[data-index="${tokenIndex(e) + step}"]`);
  if (next) {
    e.preventDefault();
    next.focus();
  }
});
for (const k of settingFields.concat("apiKey")) ui[k].addEventListener("change", saveSettings);
ui.apiKey.addEventListener("change", loadModels);

loadSettings();
if (matchMedia("(max-width: 760px)").matches) ui.settings.open = false;
loadModels();
