// The sandbox page: reads the loopback Discord's state, renders it as Discord would, and
// acts through interactions (commands, autocomplete, clicks, dialogs). No build step.
"use strict";

const EPHEMERAL = 1 << 6, LOADING = 1 << 7;
const SUB_COMMAND = 1, SUB_COMMAND_GROUP = 2, STRING = 3, INTEGER = 4, NUMBER = 10;
const BOOLEAN = 5, USER = 6, CHANNEL = 7, ROLE = 8, ATTACHMENT = 11;
const MAX_UPLOAD = 1024 * 1024;  // the sandbox's server refuses larger files
const $ = (id) => document.getElementById(id);
const view = { as: null, channel: null, state: null, command: null, selected: 0, asked: 0, shown: 0 };

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function nameOf(id) {
  const s = view.state;
  if (s.bot.id === id) return s.bot.name;
  const p = s.people.find((x) => x.id === id);
  return p ? p.name : "unknown-user";
}

// -- Discord timestamps, in the browser's time zone ------------------------------------------
const FORMATS = {
  t: { timeStyle: "short" }, T: { timeStyle: "medium" }, d: { dateStyle: "short" },
  D: { dateStyle: "long" }, f: { dateStyle: "long", timeStyle: "short" },
  F: { dateStyle: "full", timeStyle: "short" },
};
function relative(seconds) {
  const diff = seconds - Date.now() / 1000, abs = Math.abs(diff);
  const fmt = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
    if (abs >= size) return fmt.format(Math.round(diff / size), unit);
  }
  return fmt.format(Math.round(diff), "second");
}
function stamp(seconds, style) {
  if (style === "R") return relative(seconds);
  return new Intl.DateTimeFormat(undefined, FORMATS[style] || FORMATS.f).format(new Date(seconds * 1000));
}
function refreshTimes() {
  for (const el of document.querySelectorAll("time[data-style]")) {
    el.textContent = stamp(Number(el.dataset.ts), el.dataset.style);
  }
}

// -- the part of Discord's markdown the bot writes (escapes first, mentions never ping) ------
const TOKEN = /\\([^A-Za-z0-9\s])|<t:(-?\d+)(?::([tTdDfFR]))?>|<@!?(\d+)>|<@&(\d+)>|<#(\d+)>|`([^`]+)`|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|~~([\s\S]+?)~~|\*([^*\s](?:[^*]*[^*\s])?)\*|_([^_\s](?:[^_]*[^_\s])?)_|\[([^\]]+)\]\((https?:[^)\s]+)\)/g;
function md(text) {
  let out = "", last = 0;
  text = String(text || "");
  for (const m of text.matchAll(TOKEN)) {
    out += escapeHtml(text.slice(last, m.index));
    last = m.index + m[0].length;
    if (m[1] !== undefined) out += escapeHtml(m[1]);
    else if (m[2] !== undefined) {
      const ts = Number(m[2]), style = m[3] || "f";
      // Beyond what a Date can hold, Discord shows the text as typed; so does the page.
      if (!Number.isFinite(ts) || Math.abs(ts) > 8.64e12) { out += escapeHtml(m[0]); continue; }
      out += `<time data-ts="${ts}" data-style="${style}" title="${escapeHtml(new Date(ts * 1000).toString())}">${escapeHtml(stamp(ts, style))}</time>`;
    } else if (m[4] !== undefined) out += `<span class="mention">@${escapeHtml(nameOf(m[4]))}</span>`;
    else if (m[5] !== undefined) {
      const role = view.state.roles.find((r) => r.id === m[5]);
      out += `<span class="mention">@${escapeHtml(role ? role.name : "deleted-role")}</span>`;
    } else if (m[6] !== undefined) {
      const ch = view.state.channels.find((c) => c.id === m[6]);
      out += `<span class="mention">#${escapeHtml(ch ? ch.name : "unknown")}</span>`;
    } else if (m[7] !== undefined) out += `<code>${escapeHtml(m[7])}</code>`;
    else if (m[8] !== undefined) out += `<strong>${md(m[8])}</strong>`;
    else if (m[9] !== undefined) out += `<u>${md(m[9])}</u>`;
    else if (m[10] !== undefined) out += `<s>${md(m[10])}</s>`;
    else if (m[11] !== undefined) out += `<em>${md(m[11])}</em>`;
    else if (m[12] !== undefined) out += `<em>${md(m[12])}</em>`;
    else out += `<a href="${escapeHtml(m[14])}" target="_blank" rel="noopener noreferrer">${md(m[13])}</a>`;
  }
  return out + escapeHtml(text.slice(last));
}

// -- rendering ---------------------------------------------------------------------------------
function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function renderEmbed(embed) {
  const box = el("div", "embed");
  if (embed.color) box.style.borderLeftColor = "#" + embed.color.toString(16).padStart(6, "0");
  if (embed.title) box.append(el("div", "title", md(embed.title)));
  if (embed.description) box.append(el("div", "description content", md(embed.description)));
  if (embed.fields && embed.fields.length) {
    const fields = el("div", "fields");
    for (const f of embed.fields) {
      const field = el("div", "field" + (f.inline ? "" : " block"));
      field.append(el("div", "field-name", md(f.name)), el("div", "field-value content", md(f.value)));
      fields.append(field);
    }
    box.append(fields);
  }
  const footer = [embed.footer && embed.footer.text ? md(embed.footer.text) : "",
    embed.timestamp ? escapeHtml(new Date(embed.timestamp).toLocaleString()) : ""].filter(Boolean);
  if (footer.length) box.append(el("div", "footer", footer.join(" • ")));
  return box;
}

function sizeText(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  return bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// A download from the page's own server: the loopback Discord's url is another origin.
function renderAttachment(message, attachment) {
  const link = el("a", "attachment");
  link.href = `/api/attachments/${encodeURIComponent(message.id)}/${encodeURIComponent(attachment.id)}?as=${encodeURIComponent(view.as)}`;
  link.download = attachment.filename;
  link.textContent = `📎 ${attachment.filename} (${sizeText(attachment.size)})`;
  if (attachment.description) link.title = attachment.description;
  return link;
}

function renderComponents(message, rows) {
  const out = [];
  for (const row of rows || []) {
    const line = el("div", "row");
    for (const c of row.components || []) {
      if (c.type === 2) {
        const label = (c.emoji && c.emoji.name ? c.emoji.name + " " : "") + (c.label || "");
        const button = el("button", `component style-${c.style}`, escapeHtml(label));
        button.type = "button";
        button.disabled = Boolean(c.disabled);
        if (c.style === 5) button.onclick = () => window.open(c.url, "_blank", "noopener");
        else {
          button.dataset.customId = c.custom_id;
          button.onclick = () => click(message, c.custom_id);
        }
        line.append(button);
      } else if (c.type === 3) {
        const select = el("select", "component");
        select.append(new Option(c.placeholder || "Choose…", ""));
        for (const o of c.options || []) select.append(new Option(o.label, o.value));
        select.disabled = Boolean(c.disabled);
        select.onchange = () => select.value && click(message, c.custom_id, [select.value]);
        line.append(select);
      }
    }
    out.push(line);
  }
  return out;
}

function renderMessage(message) {
  const box = el("article", "message" + (message.ephemeral ? " ephemeral" : ""));
  box.dataset.messageId = message.id;
  const meta = el("div", "meta");
  meta.append(el("span", "author", escapeHtml(message.author.global_name || message.author.username)));
  if (message.author.bot) meta.append(el("span", "tag", "APP"));
  meta.append(el("span", "", escapeHtml(new Date(message.timestamp).toLocaleTimeString())
    + (message.edited_timestamp ? " (edited)" : "")));
  box.append(meta);
  if (message.flags & LOADING) box.append(el("div", "content", "<em>AuctionBot is thinking…</em>"));
  if (message.content) box.append(el("div", "content", md(message.content)));
  for (const embed of message.embeds || []) box.append(renderEmbed(embed));
  for (const attachment of message.attachments || []) box.append(renderAttachment(message, attachment));
  box.append(...renderComponents(message, message.components));
  if (message.ephemeral) box.append(el("div", "only-you", "Only you can see this"));
  return box;
}

// One message the page cannot draw must not hide the others.
function renderSafely(message) {
  try {
    return renderMessage(message);
  } catch (error) {
    const box = el("article", "message");
    box.append(el("div", "content", `<em>This message could not be shown (${escapeHtml(error.message)}).</em>`));
    return box;
  }
}

function currentChannel() {
  const s = view.state;
  if (view.channel === "dm") return { id: s.dm.id, name: "AuctionBot (DM)", messages: s.dm.messages, dm: true };
  return s.channels.find((c) => c.id === view.channel) || s.channels[0];
}

function render() {
  const s = view.state;
  $("server-name").textContent = s.server.name;
  const channels = $("channels");
  channels.replaceChildren(...s.channels.map((c) => {
    const li = el("li", c.id === view.channel ? "active" : "", "# " + escapeHtml(c.name));
    li.dataset.channel = c.name;
    li.onclick = () => { view.channel = c.id; render(); };
    return li;
  }));
  const dm = el("li", view.channel === "dm" ? "active" : "", "AuctionBot");
  dm.dataset.channel = "dm";
  dm.onclick = () => { view.channel = "dm"; render(); };
  $("dms").replaceChildren(dm);
  const me = s.people.find((p) => p.id === view.as);
  $("act-role").textContent = me ? `@${me.username}, ${me.role}` : "";
  $("status").textContent = s.bot_connected ? "AuctionBot is online" : "AuctionBot is offline";
  const channel = currentChannel();
  $("channel-title").textContent = channel.dm ? "@AuctionBot" : "# " + channel.name;
  const list = $("messages");
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.replaceChildren(...channel.messages.map(renderSafely));
  if (atBottom) list.scrollTop = list.scrollHeight;
  const v = $("violations");
  v.hidden = !s.api_violations.length;
  v.querySelector("ul").replaceChildren(...s.api_violations.map((x) => el("li", "", escapeHtml(`${x.method} ${x.path}: ${x.error}`))));
}

// -- talking to the sandbox ----------------------------------------------------------------------
async function refresh() {
  // Reads may overlap (a live update, then "Act as"): only an answer newer than the one shown
  // and read for the person acting now is shown, never an older one or another person's.
  const asked = ++view.asked, as = view.as;
  let state;
  try {
    const response = await fetch(`/api/state?as=${encodeURIComponent(as)}`);
    if (!response.ok) return;
    state = await response.json();
  } catch {
    unreachable();
    return;
  }
  if (asked < view.shown || as !== view.as) return;
  view.shown = asked;
  view.state = state;
  if (!view.channel) view.channel = view.state.channels[0].id;
  render();
}

function unreachable() {
  $("status").textContent = "The sandbox is not reachable: is it still running?";
}

function notice(text) {
  const n = $("notice");
  n.textContent = text;
  n.hidden = !text;
}

async function post(path, body) {
  let answer;
  try {
    const response = await fetch(path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ as: view.as, ...body }) });
    answer = await response.json().catch(() => ({ error: "The sandbox did not answer." }));
  } catch {
    answer = { error: "The sandbox is not reachable: is it still running?" };
  }
  if (answer.error) notice(answer.error);
  else if (answer.answered === false) notice(answer.note);
  else notice("");
  return answer;
}

async function handleAnswer(answer, message) {
  if (answer.callback && answer.callback.type === 9) openModal(answer.callback.data, message);
}

async function click(message, customId, values) {
  handleAnswer(await post("/api/click", { message_id: message.id, custom_id: customId, values }), message);
}

// -- dialogs (modals) --------------------------------------------------------------------------
function textInputs(components) {
  const out = [];
  for (const c of components || []) {
    if (c.type === 1) out.push(...textInputs(c.components));
    else if (c.type === 18 && c.component) out.push({ ...c.component, label: c.label, description: c.description });
    else if (c.type === 4) out.push(c);
  }
  return out;
}

function openModal(data, message) {
  const form = $("modal-form");
  form.replaceChildren(el("h2", "", md(data.title)));
  for (const input of textInputs(data.components)) {
    const field = el("div", "field");
    const id = "modal-" + input.custom_id;
    const label = el("label", "", escapeHtml(input.label || input.custom_id) + (input.required === false ? "" : " *"));
    label.htmlFor = id;
    const box = input.style === 2 ? el("textarea") : el("input");
    box.id = id;
    box.name = input.custom_id;
    box.value = input.value || "";
    box.placeholder = input.placeholder || "";
    if (input.max_length) box.maxLength = input.max_length;
    if (input.min_length) box.minLength = input.min_length;
    box.required = input.required !== false;
    field.append(label, box);
    form.append(field);
  }
  const buttons = el("div", "buttons");
  const cancel = el("button", "cancel", "Cancel");
  cancel.type = "button";
  cancel.onclick = () => $("modal").close();
  const submit = el("button", "primary", "Submit");
  submit.type = "submit";
  buttons.append(cancel, submit);
  form.append(buttons);
  form.onsubmit = async (event) => {
    event.preventDefault();
    const values = {};
    for (const box of form.querySelectorAll("input, textarea")) values[box.name] = box.value;
    $("modal").close();
    const channel = currentChannel();
    await post("/api/modal", { custom_id: data.custom_id, values, message_id: message ? message.id : null, channel_id: channel.id });
  };
  $("modal").showModal();
}

// -- the slash-command box ---------------------------------------------------------------------
function flatCommands() {
  const out = [];
  for (const command of view.state.commands) {
    const subs = (command.options || []).filter((o) => o.type === SUB_COMMAND || o.type === SUB_COMMAND_GROUP);
    if (!subs.length) { out.push({ command, sub: null, defs: command.options || [], description: command.description }); continue; }
    for (const sub of subs) {
      if (sub.type === SUB_COMMAND) out.push({ command, sub: sub.name, defs: sub.options || [], description: sub.description });
      else for (const leaf of sub.options || []) out.push({ command, sub: `${sub.name} ${leaf.name}`, defs: leaf.options || [], description: leaf.description });
    }
  }
  return out;
}

function usage(c) { return "/" + c.command.name + (c.sub ? " " + c.sub : ""); }

function matchCommand(text) {
  const typed = text.trim().replace(/\s+/g, " ");
  let best = null;
  for (const c of flatCommands()) {
    const u = usage(c);
    if ((typed === u || typed.startsWith(u + " ")) && (!best || u.length > usage(best).length)) best = c;
  }
  return best;
}

function showSuggestions() {
  const text = $("box").value;
  const box = $("suggestions");
  if (!text.startsWith("/") || (view.command && text.startsWith(usage(view.command)))) { box.hidden = true; return; }
  const found = flatCommands().filter((c) => usage(c).startsWith(text.trim()) || text.trim() === "/");
  view.selected = Math.min(view.selected, Math.max(found.length - 1, 0));
  box.replaceChildren(...found.map((c, i) => {
    const item = el("div", "suggestion" + (i === view.selected ? " selected" : ""), `${escapeHtml(usage(c))}<small>${escapeHtml(c.description || "")}</small>`);
    item.onclick = () => chooseCommand(c);
    return item;
  }));
  box.hidden = !found.length;
  box.found = found;
}

function chooseCommand(c) {
  view.command = c;
  $("box").value = usage(c) + " ";
  $("suggestions").hidden = true;
  renderOptions();
  const first = $("options").querySelector("input, select");
  if (first) first.focus(); else $("box").focus();
}

function optionInput(def) {
  let input;
  const s = view.state;
  const choose = (items) => {
    input = el("select");
    input.append(new Option("", ""));
    for (const [label, value] of items) input.append(new Option(label, value));
  };
  if (def.choices && def.choices.length) choose(def.choices.map((c) => [c.name, c.value]));
  else if (def.type === BOOLEAN) choose([["True", "true"], ["False", "false"]]);
  else if (def.type === USER) choose(s.people.map((p) => [p.name, p.id]));
  else if (def.type === CHANNEL) choose(s.channels.map((c) => ["#" + c.name, c.id]));
  else if (def.type === ROLE) choose(s.roles.map((r) => ["@" + r.name, r.id]));
  else if (def.type === ATTACHMENT) {
    // Read when the command is sent; kept apart from the typed values (data-option).
    input = el("input");
    input.type = "file";
    input.dataset.attachment = def.name;
    input.name = def.name;
    return input;
  }
  else {
    input = el("input");
    input.inputMode = def.type === INTEGER || def.type === NUMBER ? "numeric" : "text";
    if (def.autocomplete) {
      let timer = null;
      input.oninput = () => { clearTimeout(timer); timer = setTimeout(() => autocomplete(def, input), 150); };
      input.onfocus = () => autocomplete(def, input);
    }
  }
  input.name = def.name;
  input.dataset.option = def.name;
  input.onkeydown = (event) => { if (event.key === "Enter") { event.preventDefault(); send(); } };
  return input;
}

function renderOptions() {
  const box = $("options");
  const c = view.command;
  if (!c) { box.hidden = true; box.replaceChildren(); $("choices").hidden = true; return; }
  box.replaceChildren(...c.defs.map((def) => {
    const wrap = el("div", "option" + (def.required ? " required" : ""));
    const label = el("label", "", escapeHtml(def.name));
    label.title = def.description || "";
    wrap.append(label, optionInput(def));
    return wrap;
  }));
  const sendButton = el("button", "send", "Send");
  sendButton.type = "button";
  sendButton.onclick = send;
  box.append(sendButton);
  box.hidden = false;
}

function optionValues() {
  const values = {};
  // "name:value" typed in the box, as Discord's client accepts them...
  const c = view.command;
  const rest = $("box").value.trim().slice(usage(c).length);
  for (const m of rest.matchAll(/(\w[\w-]*):("([^"]*)"|\S+)/g)) values[m[1]] = m[3] !== undefined ? m[3] : m[2];
  // ...and the fields, which win.
  for (const input of $("options").querySelectorAll("[data-option]")) if (input.value !== "") values[input.dataset.option] = input.value;
  return values;
}

async function autocomplete(def, input) {
  // A keystroke's timer may fire after the command was sent or another one chosen.
  const c = view.command;
  if (!c || !input.isConnected) return;
  const answer = await fetch("/api/autocomplete", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ as: view.as, channel_id: currentChannel().id, name: c.command.name, subcommand: c.sub, options: { ...optionValues(), [def.name]: input.value }, focused: def.name }),
  }).then((r) => r.json()).catch(() => ({}));
  if (view.command !== c || !input.isConnected) return;
  const box = $("choices");
  const choices = (answer.callback && answer.callback.data && answer.callback.data.choices) || [];
  box.replaceChildren(...choices.map((choice) => {
    const item = el("div", "suggestion", escapeHtml(choice.name));
    item.onclick = () => { input.value = choice.value; box.hidden = true; };
    return item;
  }));
  box.hidden = !choices.length;
}

function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).slice(String(reader.result).indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

// The chosen files, base64 in the JSON body; null (and a notice) when one cannot be sent.
async function attachmentValues() {
  const files = {};
  for (const input of $("options").querySelectorAll("[data-attachment]")) {
    const file = input.files && input.files[0];
    if (!file) continue;
    if (file.size > MAX_UPLOAD) { notice(`${file.name} is over 1 MiB, the most the sandbox takes.`); return null; }
    try {
      files[input.dataset.attachment] = { filename: file.name, content_type: file.type || null, data: await base64Of(file) };
    } catch {
      notice(`${file.name} could not be read.`);
      return null;
    }
  }
  return files;
}

async function send() {
  const text = $("box").value.trim();
  if (!text) return;
  const c = matchCommand(text) || (view.command && text.startsWith(usage(view.command)) ? view.command : null);
  if (!text.startsWith("/")) { notice("Only the bot's slash commands can be sent here: type / to see them."); return; }
  if (!c) { notice(`${text.split(" ")[0]} is not a command of this bot: type / to see them.`); return; }
  view.command = c;
  const attachments = await attachmentValues();
  if (attachments === null) return;
  const answer = await post("/api/command", { channel_id: currentChannel().id, name: c.command.name, subcommand: c.sub, options: optionValues(), attachments });
  $("choices").hidden = true;
  if (!answer.error) { $("box").value = ""; view.command = null; renderOptions(); }
  handleAnswer(answer, null);
}

function start() {
  const params = new URLSearchParams(location.search);
  const box = $("box");
  box.oninput = () => {
    if (view.command && !box.value.startsWith(usage(view.command))) { view.command = null; renderOptions(); }
    showSuggestions();
  };
  box.onkeydown = (event) => {
    const sug = $("suggestions");
    if (!sug.hidden && sug.found && ["ArrowDown", "ArrowUp", "Tab"].includes(event.key)) {
      event.preventDefault();
      view.selected = (view.selected + (event.key === "ArrowUp" ? -1 : 1) + sug.found.length) % sug.found.length;
      showSuggestions();
    } else if (event.key === "Enter") {
      event.preventDefault();
      // As in Discord, Enter picks the highlighted command while the list is open (its option
      // fields then show); a command typed with its options ("/bid handle:og amount:100") is sent.
      if (!sug.hidden && sug.found && sug.found.length) chooseCommand(sug.found[view.selected]);
      else send();
    }
  };
  $("composer").onsubmit = (event) => { event.preventDefault(); send(); };
  const select = $("act-as");
  select.onchange = () => { view.as = select.value; view.command = null; renderOptions(); notice(""); refresh(); };
  bootstrap(select, params.get("as"));  // ?as=ID acts as that person; the moderator by default
  setInterval(refreshTimes, 1000);
}

async function bootstrap(select, wanted) {
  const people = await fetch("/api/people").then((r) => r.json());
  select.replaceChildren(...people.map((p) => new Option(`${p.name} (${p.role})`, p.id)));
  view.as = wanted && people.some((p) => p.id === wanted) ? wanted : people[0].id;
  select.value = view.as;
  await refresh();
  const events = new EventSource("/api/events");
  events.onmessage = () => refresh();
  events.onerror = unreachable;  // the browser reconnects by itself; the next update says so
}

start();
