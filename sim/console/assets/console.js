// The console page: renders the Block Kit subset intervene uses and sends what
// the person does to the console server, which forwards it to the bot as Slack
// would. Plain browser JavaScript, no build step.
"use strict";
(() => {
  const params = new URLSearchParams(location.search);
  const ui = { user: params.get("user"), channel: params.get("channel"), pane: "channel", thread: null, snapshot: null, epoch: 0, modalKey: null };
  const $ = (id) => document.getElementById(id);

  const EMOJI = {
    warning: "⚠️", white_check_mark: "✅", raised_hand: "✋", octagonal_sign: "🛑", x: "❌", no_entry: "⛔", eyes: "👀",
    arrows_counterclockwise: "🔄", arrow_forward: "▶️", white_large_square: "⬜", wastebasket: "🗑️", repeat: "🔁", memo: "📝",
    hourglass_flowing_sand: "⏳", hourglass: "⌛", fast_forward: "⏩", double_vertical_bar: "⏸️", boom: "💥", lock: "🔒",
    information_source: "ℹ️", heavy_check_mark: "✔️", rotating_light: "🚨", bulb: "💡", gear: "⚙️", rocket: "🚀",
    large_green_circle: "🟢", red_circle: "🔴", white_circle: "⚪", question: "❓", stopwatch: "⏱️", clipboard: "📋",
  };

  // --- text ---------------------------------------------------------------
  const escapeHtml = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  const unescapeSlack = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  const userName = (id) => (ui.snapshot?.users.find((u) => u.id === id)?.name ?? (id === ui.snapshot?.botUserId ? "intervene" : id));
  const channelName = (id) => ui.snapshot?.channels.find((c) => c.id === id)?.name ?? id;
  const emojify = (html) => html.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] ?? all);

  function inline(text) {
    // `code` first: nothing inside it is formatted.
    return text.split(/(`[^`\n]+`)/).map((part) => {
      if (/^`[^`\n]+`$/.test(part)) return `<code>${escapeHtml(unescapeSlack(part.slice(1, -1)))}</code>`;
      return part.split(/(<[^<>\n]+>)/).map((piece) => {
        const m = /^<([^<>\n]+)>$/.exec(piece);
        if (m === null) {
          let html = escapeHtml(unescapeSlack(piece));
          html = html.replace(/(^|[\s(>])\*([^*\n]+?)\*(?=$|[\s).,:;!?<])/g, "$1<b>$2</b>");
          html = html.replace(/(^|[\s(>])_([^_\n]+?)_(?=$|[\s).,:;!?<])/g, "$1<i>$2</i>");
          html = html.replace(/(^|[\s(>])~([^~\n]+?)~(?=$|[\s).,:;!?<])/g, "$1<s>$2</s>");
          return emojify(html).replace(/\n/g, "<br>");
        }
        return special(m[1]);
      }).join("");
    }).join("");
  }

  function special(inner) {
    const [target, label] = inner.split("|", 2);
    if (target.startsWith("@")) return `<span class="mention">@${escapeHtml(userName(target.slice(1)))}</span>`;
    if (target.startsWith("#")) return `<span class="mention">#${escapeHtml(label ?? channelName(target.slice(1)))}</span>`;
    if (target.startsWith("!subteam^")) return `<span class="mention">${escapeHtml(label ?? "@" + target.slice(9))}</span>`;
    if (target.startsWith("!date^")) {
      const seconds = Number(target.split("^")[1]);
      return Number.isFinite(seconds) ? escapeHtml(new Date(seconds * 1000).toLocaleString()) : escapeHtml(unescapeSlack(label ?? ""));
    }
    if (target.startsWith("!")) return `<span class="mention">@${escapeHtml(target.slice(1))}</span>`;
    if (/^(https?|mailto):/.test(target)) return `<a href="${escapeHtml(target)}" target="_blank" rel="noopener">${escapeHtml(unescapeSlack(label ?? target))}</a>`;
    return escapeHtml(unescapeSlack(`<${inner}>`));
  }

  function mrkdwn(text) {
    return String(text).split(/(```[\s\S]*?```)/).map((part) => {
      if (part.startsWith("```") && part.endsWith("```") && part.length >= 6) return `<pre>${escapeHtml(unescapeSlack(part.slice(3, -3).replace(/^\n/, "")))}</pre>`;
      return inline(part);
    }).join("");
  }

  const textObject = (t) => (t == null ? "" : t.type === "mrkdwn" ? mrkdwn(t.text) : emojify(escapeHtml(String(t.text))).replace(/\n/g, "<br>"));

  // --- blocks -------------------------------------------------------------
  function el(tag, attrs = {}, html) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, v);
    if (html !== undefined) e.innerHTML = html;
    return e;
  }

  function buttonEl(b, blockId, onClick) {
    const e = el("button", { type: "button", class: `bk ${b.style ?? ""}`, "data-action-id": b.action_id, "data-block-id": blockId }, textObject(b.text));
    e.addEventListener("click", () => {
      const go = () => { e.disabled = true; onClick(b, blockId).finally(() => { e.disabled = false; }); };
      if (b.confirm) showConfirm(b.confirm, go); else go();
    });
    return e;
  }

  function renderBlocks(blocks, onClick, errors = {}) {
    const out = document.createDocumentFragment();
    blocks.forEach((block, i) => {
      const blockId = block.block_id ?? `b${i}`;
      const wrap = el("div", { class: `block ${block.type}`, "data-block-type": block.type });
      switch (block.type) {
        case "header": wrap.appendChild(el("h3", {}, textObject(block.text))); break;
        case "divider": wrap.appendChild(el("hr")); break;
        case "context": for (const e of block.elements ?? []) wrap.appendChild(el("span", {}, e.type === "image" ? "" : textObject(e))); break;
        case "section": {
          const text = el("div", { class: "text" }, textObject(block.text));
          if (block.fields) { const f = el("div", { class: "fields" }); for (const x of block.fields) f.appendChild(el("div", {}, textObject(x))); text.appendChild(f); }
          wrap.appendChild(text);
          if (block.accessory?.type === "button") wrap.appendChild(buttonEl(block.accessory, blockId, onClick));
          break;
        }
        case "actions": for (const e of block.elements ?? []) if (e.type === "button") wrap.appendChild(buttonEl(e, blockId, onClick)); break;
        case "input": {
          wrap.classList.add("input-block");
          wrap.appendChild(el("label", { for: `in-${blockId}` }, textObject(block.label) + (block.optional ? " <small>(optional)</small>" : "")));
          const element = block.element ?? {};
          let input;
          if (element.type === "static_select") {
            input = el("select", { id: `in-${blockId}`, "data-block-id": blockId });
            input.appendChild(el("option", { value: "" }, escapeHtml(element.placeholder?.text ?? "Choose…")));
            for (const o of element.options ?? []) input.appendChild(el("option", { value: o.value }, textObject(o.text)));
            if (element.initial_option) input.value = element.initial_option.value;
          } else {
            input = el(element.multiline ? "textarea" : "input", { id: `in-${blockId}`, "data-block-id": blockId, placeholder: element.placeholder?.text });
            if (element.initial_value) input.value = element.initial_value;
          }
          wrap.appendChild(input);
          if (block.hint) wrap.appendChild(el("div", { class: "hint" }, textObject(block.hint)));
          if (errors[blockId]) wrap.appendChild(el("div", { class: "error", "data-testid": "input-error" }, escapeHtml(errors[blockId])));
          break;
        }
        default: wrap.appendChild(el("div", { class: "context" }, `[${escapeHtml(String(block.type))} block]`));
      }
      out.appendChild(wrap);
    });
    return out;
  }

  // --- server -------------------------------------------------------------
  async function post(op, body) {
    const res = await fetch(`/console/ui/${op}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ user: ui.user, ...body }) });
    const answer = await res.json().catch(() => ({ ok: false, error: `HTTP ${res.status}` }));
    if (!res.ok) alert(answer.error ?? `HTTP ${res.status}`);
    return answer;
  }

  async function poll(epoch, signal) {
    let after = -1;
    while (epoch === ui.epoch) {
      try {
        const res = await fetch(`/console/ui/state?user=${encodeURIComponent(ui.user ?? "")}&after=${after}`, { signal });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const snapshot = await res.json();
        if (epoch !== ui.epoch) return;
        $("live").classList.remove("off");
        after = snapshot.version;
        ui.snapshot = snapshot;
        if (ui.user !== snapshot.user) { ui.user = snapshot.user; rememberInUrl(); }
        render();
      } catch {
        if (epoch !== ui.epoch) return;
        $("live").classList.add("off");
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  function rememberInUrl() {
    const url = new URL(location.href);
    if (ui.user) url.searchParams.set("user", ui.user);
    if (ui.channel) url.searchParams.set("channel", ui.channel);
    history.replaceState(null, "", url);
  }

  function restart() {
    ui.epoch++;
    ui.modalKey = null;
    // The previous user's long-poll would hold one of the browser's few connections for up to 20 s.
    ui.polling?.abort();
    ui.polling = new AbortController();
    rememberInUrl();
    void poll(ui.epoch, ui.polling.signal);
  }

  // --- rendering ----------------------------------------------------------
  function messageEl(m, replies) {
    const bot = m.user === ui.snapshot.botUserId;
    const row = el("div", { class: `message${m.ephemeralFor ? " ephemeral" : ""}`, "data-testid": "message", "data-id": m.id, "data-ts": m.ts, "data-user": m.user, "data-ephemeral": String(Boolean(m.ephemeralFor)), "data-edits": String(m.edits), "data-text": m.text });
    row.appendChild(el("div", { class: `avatar${bot ? " bot" : ""}` }, escapeHtml(userName(m.user).slice(0, 1).toUpperCase())));
    const body = el("div", { class: "body" });
    const time = new Date(Number(m.ts) * 1000).toLocaleTimeString();
    body.appendChild(el("div", { class: "meta" }, `<b>${escapeHtml(userName(m.user))}</b>${bot ? '<span class="badge">APP</span>' : ""}${escapeHtml(time)}${m.edits > 0 ? ' <span class="edited">(edited)</span>' : ""}`));
    if (m.kind === "command-echo") body.appendChild(el("div", { class: "echo" }, escapeHtml(m.text)));
    else if (m.blocks.length > 0) body.appendChild(renderBlocks(m.blocks, (b, blockId) => post("action", { message: m.id, action: b.action_id, block: blockId })));
    else body.appendChild(el("div", { class: "block" }, mrkdwn(m.text)));
    if (m.ephemeralFor) body.appendChild(el("div", { class: "only-you" }, "Only visible to you"));
    if (replies > 0) {
      const link = el("button", { type: "button", class: "replies", "data-testid": "replies" }, `${replies} ${replies === 1 ? "reply" : "replies"}`);
      link.addEventListener("click", () => { ui.thread = m.ts; render(); });
      body.appendChild(link);
    }
    row.appendChild(body);
    return row;
  }

  function fill(container, nodes) {
    const nearBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 80;
    container.replaceChildren(...nodes);
    if (nearBottom) container.scrollTop = container.scrollHeight;
  }

  function render() {
    const s = ui.snapshot;
    if (!s) return;
    if (!ui.channel || !s.channels.some((c) => c.id === ui.channel)) ui.channel = s.channels[0]?.id ?? null;

    const switcher = $("user-switch");
    if (switcher.options.length !== s.users.length) switcher.replaceChildren(...s.users.map((u) => el("option", { value: u.id }, escapeHtml(`${u.name}${u.role ? ` (${u.role})` : ""}`))));
    switcher.value = ui.user;

    $("channels").replaceChildren(...s.channels.map((c) => {
      const a = el("a", { href: "#", class: ui.pane === "channel" && c.id === ui.channel ? "active" : "", "data-channel": c.id }, `# ${escapeHtml(c.name)}`);
      a.addEventListener("click", (e) => { e.preventDefault(); ui.pane = "channel"; ui.channel = c.id; ui.thread = null; rememberInUrl(); render(); });
      const li = el("li"); li.appendChild(a); return li;
    }));
    $("home-link").classList.toggle("active", ui.pane === "home");
    $("notices").replaceChildren(...s.notices.map((n) => el("div", { class: "notice" }, escapeHtml(n))));

    if (ui.pane === "home") {
      $("channel-header").textContent = "intervene · Home";
      $("composer").hidden = true;
      const home = el("div", { class: "home", "data-testid": "home" });
      if (s.home) home.appendChild(renderBlocks(s.home.blocks ?? [], () => Promise.resolve()));
      else home.textContent = "Loading the Home tab…";
      fill($("messages"), [home]);
    } else {
      $("channel-header").textContent = `# ${channelName(ui.channel)}`;
      $("composer").hidden = false;
      const inChannel = s.messages.filter((m) => m.channel === ui.channel);
      const replyCount = (ts) => inChannel.filter((m) => m.threadTs === ts).length;
      fill($("messages"), inChannel.filter((m) => !m.threadTs).map((m) => messageEl(m, replyCount(m.ts))));
      if (ui.thread) {
        $("thread").hidden = false;
        fill($("thread-messages"), inChannel.filter((m) => m.ts === ui.thread || m.threadTs === ui.thread).map((m) => messageEl(m, 0)));
      } else $("thread").hidden = true;
    }
    renderModal(s.views[s.views.length - 1]);
  }

  function renderModal(view) {
    const overlay = $("overlay");
    const key = view ? `${view.id}:${view.hash}` : null;
    if (key === ui.modalKey) return;
    ui.modalKey = key;
    if (!view) { overlay.hidden = true; overlay.replaceChildren(); return; }
    const v = view.view;
    const dialog = el("form", { class: "dialog", "data-testid": "modal", "data-callback-id": v.callback_id });
    dialog.appendChild(el("div", { class: "dialog-title" }, textObject(v.title)));
    const body = el("div", { class: "dialog-body" });
    body.appendChild(renderBlocks(v.blocks ?? [], () => Promise.resolve(), view.errors ?? {}));
    dialog.appendChild(body);
    const footer = el("div", { class: "dialog-footer" });
    const close = el("button", { type: "button", class: "bk", "data-testid": "modal-close" }, textObject(v.close ?? { type: "plain_text", text: "Cancel" }));
    close.addEventListener("click", () => void post("close", { view: view.id }));
    footer.appendChild(close);
    if (v.submit) footer.appendChild(el("button", { type: "submit", class: "bk primary", "data-testid": "modal-submit" }, textObject(v.submit)));
    dialog.appendChild(footer);
    dialog.addEventListener("submit", (e) => {
      e.preventDefault();
      const values = {};
      for (const input of dialog.querySelectorAll("[data-block-id]")) if (input.matches("input, textarea, select")) values[input.dataset.blockId] = input.value;
      void post("submit", { view: view.id, values });
    });
    overlay.replaceChildren(dialog);
    overlay.hidden = false;
  }

  function showConfirm(confirm, onYes) {
    const layer = el("div", { class: "overlay", "data-testid": "confirm-overlay" });
    const dialog = el("div", { class: "dialog", role: "alertdialog", "data-testid": "confirm-dialog" });
    dialog.appendChild(el("div", { class: "dialog-title" }, textObject(confirm.title)));
    dialog.appendChild(el("div", { class: "dialog-body" }, textObject(confirm.text)));
    const footer = el("div", { class: "dialog-footer" });
    const no = el("button", { type: "button", class: "bk", "data-testid": "confirm-cancel" }, textObject(confirm.deny));
    const yes = el("button", { type: "button", class: `bk ${confirm.style ?? "primary"}`, "data-testid": "confirm-ok" }, textObject(confirm.confirm));
    no.addEventListener("click", () => layer.remove());
    yes.addEventListener("click", () => { layer.remove(); onYes(); });
    footer.append(no, yes);
    dialog.appendChild(footer);
    layer.appendChild(dialog);
    document.body.appendChild(layer);
  }

  // --- wiring -------------------------------------------------------------
  $("user-switch").addEventListener("change", (e) => { ui.user = e.target.value; restart(); });
  $("thread-close").addEventListener("click", () => { ui.thread = null; render(); });
  $("home-link").addEventListener("click", (e) => { e.preventDefault(); ui.pane = "home"; ui.thread = null; render(); void post("home", {}); });
  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("command");
    const text = input.value.trim();
    if (!text) return;
    if (!text.startsWith("/")) { alert("The console sends slash commands, e.g. /leofs help"); return; }
    input.value = "";
    await post("command", { channel: ui.channel, text });
  });
  restart();
})();
