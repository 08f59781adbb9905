// genro-storage file grid (anywidget ESM). Shipped as package data: no import, no network.
// Rows come from the kernel in blocks; names are set with textContent only, never as HTML.

const ROW_H = 26;
const BLOCK = 100;
const MAX_BLOCKS = 24;
const DRAG_TYPE = "application/x-genro-storage";
const COLUMNS = [
  ["", null, "gs-c-icon"],
  ["Name", "name", "gs-c-name"],
  ["Size", "size", "gs-c-size"],
  ["Modified", "mtime", "gs-c-mtime"],
  ["Type", "type", "gs-c-type"],
];

function div(cls, text) {
  const node = document.createElement("div");
  if (cls) node.className = cls;
  if (text !== undefined) node.textContent = text;
  return node;
}

function render({ model, el }) {
  el.classList.add("gs-grid");
  // Keys and right-clicks here are the grid's, not JupyterLab's notebook shortcuts/menu.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  el.setAttribute("data-jp-suppress-context-menu", "true");
  const head = div("gs-grid-head gs-grid-row");
  const body = div("gs-grid-body");
  body.tabIndex = 0;
  const spacer = div("gs-grid-spacer");
  const foot = div("gs-grid-foot");
  const menu = div("gs-grid-menu");
  menu.style.display = "none";
  body.appendChild(spacer);
  el.append(head, body, foot, menu);

  let version = model.get("version");
  const blocks = new Map(); // block number -> rows (insertion order = age)
  const pending = new Set();
  let anchor = -1;
  let askedMore = -1;
  let typed = "";
  let typedAt = 0;
  let editing = null;
  const pool = [];

  // -- header ---------------------------------------------------------------------
  const headCells = COLUMNS.map(([label, key, cls]) => {
    const cell = div(`gs-grid-cell ${cls}`, label);
    if (key) {
      cell.classList.add("gs-sortable");
      cell.addEventListener("click", () => {
        if (model.get("sort_key") === key) model.set("sort_desc", !model.get("sort_desc"));
        else {
          model.set("sort_key", key);
          model.set("sort_desc", false);
        }
        model.save_changes();
      });
    }
    cell.dataset.key = key || "";
    head.appendChild(cell);
    return cell;
  });
  function drawHead() {
    const key = model.get("sort_key");
    const desc = model.get("sort_desc");
    for (const cell of headCells) {
      cell.classList.toggle("gs-sorted", cell.dataset.key === key);
      cell.dataset.dir = cell.dataset.key === key ? (desc ? "desc" : "asc") : "";
    }
  }

  // -- selection ------------------------------------------------------------------
  // The selection goes to the kernel as a message, in order with the other requests
  // (a synced trait could be sent later than a type-ahead typed after it); the kernel's
  // answer comes back as the trait and replaces what is drawn meanwhile.
  let localSel = model.get("selection") || [];
  let localFocus = model.get("focus_row");
  function ranges() {
    return localSel;
  }
  function isSelected(i) {
    for (const [s, e] of ranges()) if (i >= s && i < e) return true;
    return false;
  }
  function setSelection(list, focus) {
    localSel = list;
    if (focus !== undefined) localFocus = focus;
    model.send({ kind: "select", ranges: list, focus: localFocus });
    draw();
  }
  function fromKernel() {
    localSel = model.get("selection") || [];
    localFocus = model.get("focus_row");
    draw();
  }
  function toggle(i) {
    const rows = [];
    let found = false;
    for (const [s, e] of ranges()) {
      if (i >= s && i < e) {
        found = true;
        if (s < i) rows.push([s, i]);
        if (i + 1 < e) rows.push([i + 1, e]);
      } else rows.push([s, e]);
    }
    if (!found) rows.push([i, i + 1]);
    rows.sort((a, b) => a[0] - b[0]);
    return rows;
  }
  function choose(i, shift, ctrl) {
    const total = model.get("total");
    if (i < 0 || i >= total) return;
    if (shift && anchor >= 0) {
      const lo = Math.min(anchor, i);
      const hi = Math.max(anchor, i) + 1;
      setSelection([[lo, hi]], i);
    } else if (ctrl) {
      anchor = i;
      setSelection(toggle(i), i);
    } else {
      anchor = i;
      setSelection([[i, i + 1]], i);
    }
    reveal(i);
  }

  // -- rows -----------------------------------------------------------------------
  function request(block) {
    if (blocks.has(block) || pending.has(block)) return;
    pending.add(block);
    model.send({ kind: "rows", start: block * BLOCK, count: BLOCK, version });
  }
  function rowAt(i) {
    const rows = blocks.get(Math.floor(i / BLOCK));
    return rows ? rows[i % BLOCK] : undefined;
  }
  function makeRow() {
    const row = div("gs-grid-row gs-grid-item");
    row.draggable = true;
    for (const [, , cls] of COLUMNS) row.appendChild(div(`gs-grid-cell ${cls}`));
    row.firstChild.appendChild(div("gs-ico"));
    spacer.appendChild(row);
    return row;
  }
  function draw() {
    const total = model.get("total");
    spacer.style.height = `${Math.max(total, 1) * ROW_H}px`;
    const first = Math.max(0, Math.floor(body.scrollTop / ROW_H) - 2);
    const count = Math.ceil((body.clientHeight || 360) / ROW_H) + 5;
    const last = Math.min(total, first + count);
    const focus = localFocus;
    while (pool.length < last - first) pool.push(makeRow());
    pool.forEach((row, n) => {
      const i = first + n;
      if (i >= last) {
        row.style.display = "none";
        row.classList.remove("gs-selected", "gs-focus");
        delete row.dataset.row;
        return;
      }
      row.style.display = "";
      row.style.top = `${i * ROW_H}px`;
      row.dataset.row = String(i);
      const cells = rowAt(i);
      if (!cells) request(Math.floor(i / BLOCK));
      const [kind, name, size, mtime, type] = cells || ["wait", "…", "", "", ""];
      row.dataset.kind = kind;
      row.firstChild.firstChild.className = `gs-ico gs-ico-${kind}`;
      if (!(editing && row.contains(editing))) {
        // the row being renamed keeps its input while rows are redrawn
        row.children[1].textContent = name;
        row.children[1].title = name;
      }
      row.children[2].textContent = size;
      row.children[3].textContent = mtime;
      row.children[4].textContent = type;
      row.classList.toggle("gs-selected", isSelected(i));
      row.classList.toggle("gs-focus", i === focus);
    });
    const complete = model.get("complete");
    if (!complete && last >= total - Math.floor(BLOCK / 2) && askedMore !== total) {
      askedMore = total;
      model.send({ kind: "more" });
    }
    const note = model.get("note");
    foot.textContent = note || `${total.toLocaleString()} ${total === 1 ? "entry" : "entries"}${complete ? "" : " listed so far…"}`;
    el.classList.toggle("gs-empty", total === 0);
  }
  function reveal(i) {
    const top = i * ROW_H;
    if (top < body.scrollTop) body.scrollTop = top;
    else if (top + ROW_H > body.scrollTop + body.clientHeight)
      body.scrollTop = top + ROW_H - body.clientHeight;
    draw();
  }
  function rowOf(event) {
    const row = event.target.closest(".gs-grid-item");
    return row && row.dataset.row !== undefined ? Number(row.dataset.row) : -1;
  }

  // -- kernel messages and model changes -------------------------------------------
  function onMessage(msg) {
    if (msg.kind === "rows" && msg.version === version) {
      const block = Math.floor(msg.start / BLOCK);
      pending.delete(block);
      blocks.delete(block);
      blocks.set(block, msg.rows);
      while (blocks.size > MAX_BLOCKS) blocks.delete(blocks.keys().next().value);
      draw();
    } else if (msg.kind === "scroll") {
      reveal(msg.row);
    } else if (msg.kind === "edit") {
      reveal(msg.row);
      rename(msg.row);
    } else if (msg.kind === "pick") {
      picker.click();
    } else if (msg.kind === "clipboard") {
      if (navigator.clipboard) navigator.clipboard.writeText(String(msg.text)).catch(() => {});
    } else if (msg.kind === "progress" || msg.kind === "upload-done") {
      uploads.onMessage(msg);
    }
  }
  function onVersion() {
    version = model.get("version");
    localSel = model.get("selection") || [];
    localFocus = model.get("focus_row");
    blocks.clear();
    pending.clear();
    askedMore = -1;
    draw();
  }
  model.on("msg:custom", onMessage);
  model.on("change:version", onVersion);
  for (const name of ["total", "complete", "note"]) model.on(`change:${name}`, draw);
  model.on("change:selection", fromKernel);
  model.on("change:focus_row", fromKernel);
  model.on("change:sort_key", drawHead);
  model.on("change:sort_desc", drawHead);
  body.addEventListener("scroll", draw);

  // -- mouse ----------------------------------------------------------------------
  body.addEventListener("mousedown", (event) => {
    if (event.button !== 0) return;
    hideMenu();
    const i = rowOf(event);
    if (i < 0) return;
    choose(i, event.shiftKey, event.ctrlKey || event.metaKey);
    body.focus();
  });
  body.addEventListener("dblclick", (event) => {
    const i = rowOf(event);
    if (i >= 0) model.send({ kind: "open", row: i });
  });

  // -- right-click menu -------------------------------------------------------------
  function hideMenu() {
    menu.style.display = "none";
  }
  // The items come from the kernel, which enables them for the selection it knows: a
  // right-click that changes the selection redraws the open menu when they arrive.
  function fillMenu() {
    menu.replaceChildren();
    for (const [action, label, enabled] of model.get("menu") || []) {
      const item = div("gs-grid-menuitem", label);
      item.dataset.action = action;
      if (!enabled) item.classList.add("gs-disabled");
      else
        item.addEventListener("click", () => {
          hideMenu();
          model.send({ kind: "action", name: action });
        });
      menu.appendChild(item);
    }
  }
  model.on("change:menu", () => {
    if (menu.style.display !== "none") fillMenu();
  });
  body.addEventListener("contextmenu", (event) => {
    event.preventDefault();
    const i = rowOf(event);
    if (i >= 0 && !isSelected(i)) choose(i, false, false);
    fillMenu();
    const box = el.getBoundingClientRect();
    menu.style.left = `${event.clientX - box.left}px`;
    menu.style.top = `${event.clientY - box.top}px`;
    menu.style.display = "block";
  });
  const outside = (event) => {
    if (!menu.contains(event.target)) hideMenu();
  };
  document.addEventListener("mousedown", outside, true);

  // -- keyboard -------------------------------------------------------------------
  function page() {
    return Math.max(1, Math.floor(body.clientHeight / ROW_H) - 1);
  }
  function rename(i) {
    const row = pool.find((r) => r.dataset.row === String(i) && r.style.display !== "none");
    const cells = rowAt(i);
    if (!row || !cells) return;
    const input = document.createElement("input");
    input.className = "gs-grid-rename";
    input.value = cells[1];
    const cell = row.children[1];
    cell.replaceChildren(input);
    editing = input;
    input.focus();
    input.select();
    const done = (send) => {
      if (editing !== input) return;
      editing = null;
      if (send && input.value && input.value !== cells[1])
        model.send({ kind: "rename", row: i, name: input.value });
      cell.textContent = cells[1];
      body.focus();
    };
    input.addEventListener("keydown", (event) => {
      event.stopPropagation();
      if (event.key === "Enter") done(true);
      else if (event.key === "Escape") done(false);
    });
    input.addEventListener("blur", () => done(false));
  }
  body.addEventListener("keydown", (event) => {
    if (editing) return;
    event.stopPropagation(); // not a notebook shortcut
    const total = model.get("total");
    const focus = localFocus;
    const ctrl = event.ctrlKey || event.metaKey;
    const move = (to) => {
      event.preventDefault();
      choose(Math.max(0, Math.min(total - 1, to)), event.shiftKey, false);
    };
    switch (event.key) {
      case "ArrowDown":
        return move(focus + 1);
      case "ArrowUp":
        return move(focus - 1);
      case "PageDown":
        return move(focus + page());
      case "PageUp":
        return move(focus - page());
      case "Home":
        return move(0);
      case "End":
        if (!model.get("complete")) {
          event.preventDefault();
          model.send({ kind: "end" });
          return;
        }
        return move(total - 1);
      case "Enter":
        event.preventDefault();
        if (focus >= 0) model.send({ kind: "open", row: focus });
        return;
      case "Backspace":
        event.preventDefault();
        model.send({ kind: "parent" });
        return;
      case "Delete":
        event.preventDefault();
        model.send({ kind: "action", name: "delete" });
        return;
      case "F2":
        event.preventDefault();
        if (focus >= 0) rename(focus);
        return;
      case "Escape":
        hideMenu();
        return;
    }
    if (ctrl && (event.key === "a" || event.key === "A")) {
      event.preventDefault();
      setSelection(total ? [[0, total]] : [], focus);
      return;
    }
    if (event.key.length === 1 && !ctrl && !event.altKey) {
      event.preventDefault();
      const now = Date.now();
      typed = now - typedAt > 800 ? event.key : typed + event.key;
      typedAt = now;
      model.send({ kind: "typeahead", text: typed, row: Math.max(focus, 0) });
    }
  });

  // -- drag and drop: between panes (entries), from the desktop (files) -------------
  body.addEventListener("dragstart", (event) => {
    const i = rowOf(event);
    if (i < 0) return;
    if (!isSelected(i)) choose(i, false, false);
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify({ token: model.get("token") }));
    event.dataTransfer.effectAllowed = "copyMove";
  });
  const wanted = (event) => {
    const types = Array.from(event.dataTransfer ? event.dataTransfer.types : []);
    return types.includes(DRAG_TYPE) || types.includes("Files");
  };
  body.addEventListener("dragover", (event) => {
    if (!wanted(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = event.shiftKey ? "move" : "copy";
    el.classList.add("gs-drop");
  });
  body.addEventListener("dragleave", () => el.classList.remove("gs-drop"));
  body.addEventListener("drop", (event) => {
    el.classList.remove("gs-drop");
    if (!wanted(event)) return;
    event.preventDefault();
    const raw = event.dataTransfer.getData(DRAG_TYPE);
    if (raw) {
      let from = "";
      try {
        from = String(JSON.parse(raw).token || "");
      } catch (_err) {
        return;
      }
      if (from && from !== model.get("token"))
        model.send({ kind: "drop", from, move: event.shiftKey });
      return;
    }
    uploads.send(Array.from(event.dataTransfer.files || []));
  });

  // -- uploads: each file goes in chunks; the kernel answers each one -------------------
  const uploads = makeUploads(model, foot, el);
  const picker = document.createElement("input");
  picker.type = "file";
  picker.multiple = true;
  picker.className = "gs-grid-picker";
  const pick = document.createElement("button");
  pick.className = "gs-grid-upload-button";
  pick.textContent = "Upload…";
  pick.title = "Upload files into this folder (streamed in chunks)";
  pick.addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    const files = Array.from(picker.files || []);
    picker.value = "";
    uploads.send(files);
  });
  const tools = div("gs-grid-tools");
  tools.append(pick, picker);
  el.insertBefore(tools, foot);

  drawHead();
  draw();
  return () => {
    document.removeEventListener("mousedown", outside, true);
    model.off("msg:custom", onMessage);
    model.off("change:version", onVersion);
  };
}

// Upload protocol: {kind:"upload", id, name, size, offset, last} + one binary buffer per
// chunk; the kernel answers {kind:"progress", id, offset} (send the next chunk) or
// {kind:"upload-done", id, ok, error}. Only one chunk per file is in flight, so the
// kernel holds at most one chunk, and "cancel" stops the loop and tells the kernel.
function makeUploads(model, foot, el) {
  const waiting = new Map();
  let counter = 0;
  const bar = div("gs-grid-upload");
  const label = div("gs-grid-upload-label");
  const cancel = document.createElement("button");
  cancel.textContent = "Cancel";
  cancel.className = "gs-grid-upload-cancel";
  bar.append(label, cancel);
  bar.style.display = "none";
  el.appendChild(bar);
  let current = null;
  cancel.addEventListener("click", () => {
    if (!current) return;
    current.cancelled = true;
    model.send({ kind: "upload", id: current.id, action: "cancel" });
  });
  function ask(id, content, buffer) {
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      model.send(content, undefined, buffer ? [buffer] : []);
    });
  }
  async function one(file) {
    const id = `u${Date.now()}-${counter++}`;
    const chunk = model.get("chunk_bytes") || 1 << 20;
    current = { id, cancelled: false };
    bar.style.display = "";
    let offset = 0;
    for (;;) {
      if (current.cancelled) return;
      const end = Math.min(file.size, offset + chunk);
      const data = await file.slice(offset, end).arrayBuffer();
      const last = end >= file.size;
      label.textContent = `uploading ${file.name}: ${Math.round((100 * end) / Math.max(file.size, 1))}%`;
      const answer = await ask(
        id,
        { kind: "upload", action: "chunk", id, name: file.name, size: file.size, offset, last },
        data,
      );
      if (answer.kind === "upload-done" || !answer.ok) return;
      offset = end;
    }
  }
  return {
    async send(files) {
      for (const file of files) await one(file);
      current = null;
      bar.style.display = "none";
    },
    onMessage(msg) {
      const resolve = waiting.get(msg.id);
      if (resolve) {
        waiting.delete(msg.id);
        resolve(msg);
      } else if (current && current.id === msg.id) {
        current.cancelled = true; // ended by the kernel (Cancel in the jobs list)
      }
    },
  };
}

export default { render };
