// The playground's transcripts as data (no DOM): per person, the delivered messages and what
// they typed, kept in this tab (sessionStorage) so a reload puts each typed line back after
// the message it answered. Used by playground.js.
"use strict";

(() => {
  const MINE_KEY = "cc-playground-mine:";
  const MINE_MAX = 500;

  // A person's log: items are {kind: "me", text} or {kind: "bot", entry, ids: Set, keys: Set,
  // node}: `entry` is the newest of the entries shown in one place, `ids` and `keys` are the ids
  // and queue keys of them all.
  function newLog() {
    return { items: [], cursor: 0, waiting: [], seen: new Set(), loaded: false };
  }

  function storedMine(id) {
    try {
      const lines = JSON.parse(sessionStorage.getItem(MINE_KEY + id) || "[]");
      return Array.isArray(lines) ? lines.filter((l) => l && typeof l.text === "string") : [];
    } catch (_) {
      return [];
    }
  }

  function storeMine(id, line) {
    try {
      const lines = storedMine(id);
      lines.push(line);
      sessionStorage.setItem(MINE_KEY + id, JSON.stringify(lines.slice(-MINE_MAX)));
    } catch (_) {
      // storage may be full or unavailable: the line just does not survive a reload
    }
  }

  function lastBotId(log) {
    for (let i = log.items.length - 1; i >= 0; i -= 1) {
      if (log.items[i].kind === "bot") return log.items[i].entry.id;
    }
    return 0;
  }

  // Record a typed line (anchored after the newest message shown) and add it to the log.
  function addMine(log, id, text) {
    storeMine(id, { text, anchor: lastBotId(log) });
    log.items.push({ kind: "me", text });
  }

  // Add one delivered entry: a replacement takes its original's place, however many times the
  // original was replaced before (each answer names the original's key, not the last answer's).
  // The item, or null if the entry was seen before.
  function apply(log, entry) {
    if (log.seen.has(entry.id)) return null;
    log.seen.add(entry.id);
    const keys = entry.dedupe_key ? [entry.dedupe_key] : [];
    const earlier = entry.replaces
      ? log.items.find((item) => item.kind === "bot" && item.keys.has(entry.replaces))
      : null;
    if (earlier) {
      earlier.entry = entry;
      earlier.ids.add(entry.id);
      for (const key of keys) earlier.keys.add(key);
      return earlier;
    }
    const item = { kind: "bot", entry, ids: new Set([entry.id]), keys: new Set(keys), node: null };
    log.items.push(item);
    return item;
  }

  // Fill an empty log from every delivered entry, in the order they were sent, with the typed
  // lines of this tab put back after the message each followed.
  function rebuild(log, id, entries) {
    const sorted = [...entries].sort((a, b) => a.sent_at.localeCompare(b.sent_at) || a.id - b.id);
    const mine = storedMine(id);
    const placeMine = (anchor) => {
      while (mine.length && mine[0].anchor === anchor) {
        log.items.push({ kind: "me", text: mine.shift().text });
      }
    };
    placeMine(0);
    for (const entry of sorted) {
      const item = apply(log, entry);
      if (item) for (const seen of item.ids) placeMine(seen);
    }
    for (const line of mine) log.items.push({ kind: "me", text: line.text });
    log.loaded = true;
  }

  // Where to resume after a server answer, and which older messages are still to come.
  function remember(log, data) {
    log.cursor = Math.max(log.cursor, data.cursor);
    log.waiting = data.waiting;
  }

  window.ccPlaygroundLog = Object.freeze({ newLog, addMine, apply, rebuild, remember });
})();
