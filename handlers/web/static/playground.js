// The Coach Companion playground: talk to the bot as any leader or coach of the local sample
// organisation. Messages come from the server already rendered and escaped (handlers/web/render.py).
"use strict";

(() => {
  const POLL_MS = 2000;
  const STORE_KEY = "cc-playground-person";
  const $ = (selector) => document.querySelector(selector);
  const ui = {
    person: $("#person"),
    info: $("#person-info"),
    clock: $("#clock-now"),
    clockStatus: $("#clock-status"),
    transcript: $("#transcript"),
    composer: $("#composer"),
    say: $("#say"),
    send: $("#send"),
    error: $("#error"),
  };
  // person id -> { items: [{kind: "me"|"bot", ...}], lastId, seen: Set, loaded }
  const transcripts = new Map();
  const people = new Map();
  let personId = null;
  let pollTimer = null;

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    const response = await fetch(path, init);
    let data = null;
    try {
      data = await response.json();
    } catch (_) {
      data = null;
    }
    if (!response.ok) {
      throw new Error((data && data.error) || `The server answered ${response.status}.`);
    }
    return data;
  }

  function showError(error) {
    ui.error.textContent = error ? String(error.message || error) : "";
  }

  function current() {
    if (!transcripts.has(personId)) {
      transcripts.set(personId, { items: [], lastId: 0, seen: new Set(), loaded: false });
    }
    return transcripts.get(personId);
  }

  function meNode(text) {
    const row = document.createElement("div");
    row.className = "row me";
    const bubble = document.createElement("p");
    bubble.className = "bubble";
    bubble.textContent = text;
    row.append(bubble);
    return row;
  }

  function botNode(entry) {
    const row = document.createElement("div");
    row.className = "row bot";
    row.dataset.id = String(entry.id);
    if (entry.dedupe_key) row.dataset.dedupeKey = entry.dedupe_key;
    const template = document.createElement("template");
    template.innerHTML = entry.html; // rendered and escaped by the server
    row.append(template.content);
    return row;
  }

  function scrollDown() {
    ui.transcript.scrollTop = ui.transcript.scrollHeight;
  }

  function clearEmpty() {
    const empty = ui.transcript.querySelector(".empty");
    if (empty) empty.remove();
  }

  function addMine(text) {
    const log = current();
    log.items.push({ kind: "me", text });
    clearEmpty();
    ui.transcript.append(meNode(text));
    scrollDown();
  }

  function addEntries(owner, entries) {
    const log = transcripts.get(owner);
    if (!log) return;
    for (const entry of entries) {
      if (log.seen.has(entry.id)) continue;
      log.seen.add(entry.id);
      log.lastId = Math.max(log.lastId, entry.id);
      const earlier = entry.replaces
        ? log.items.find((item) => item.kind === "bot" && item.entry.dedupe_key === entry.replaces)
        : null;
      if (earlier) {
        const old = owner === personId ? earlier.node : null;
        earlier.entry = entry;
        earlier.node = botNode(entry);
        if (old && old.isConnected) old.replaceWith(earlier.node);
        continue;
      }
      const item = { kind: "bot", entry, node: botNode(entry) };
      log.items.push(item);
      if (owner === personId) {
        clearEmpty();
        ui.transcript.append(item.node);
      }
    }
    if (owner === personId && entries.length) scrollDown();
  }

  function redraw() {
    ui.transcript.replaceChildren();
    const log = current();
    if (!log.items.length) {
      const empty = document.createElement("p");
      empty.className = "empty muted";
      empty.textContent = "Nothing yet. Type help to start.";
      ui.transcript.append(empty);
    }
    for (const item of log.items) {
      if (item.kind === "me") ui.transcript.append(meNode(item.text));
      else {
        item.node = botNode(item.entry);
        ui.transcript.append(item.node);
      }
    }
    scrollDown();
  }

  function showClock(clock) {
    if (clock && clock.shown) {
      ui.clock.textContent = clock.shown;
      ui.clock.title = clock.now;
    }
  }

  async function poll() {
    if (personId === null) return;
    const owner = personId;
    const log = current();
    const query = `person_id=${owner}&after=${log.lastId}`;
    const data = await api("GET", `/api/transcript?${query}`);
    log.loaded = true;
    addEntries(owner, data.entries);
    if (owner === personId) showClock(data.clock);
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(async () => {
      try {
        await poll();
      } catch (error) {
        showError(error);
      }
      schedulePoll();
    }, POLL_MS);
  }

  async function interact(payload, echo) {
    if (personId === null) return false;
    const owner = personId;
    showError(null);
    if (echo) addMine(echo);
    try {
      const log = current();
      const data = await api("POST", "/api/interact", {
        person_id: owner,
        after: log.lastId,
        ...payload,
      });
      addEntries(owner, data.entries);
      if (owner === personId) showClock(data.clock);
      return true;
    } catch (error) {
      showError(error);
      return false;
    }
  }

  function describe(person) {
    const role = person.role === "coach" ? "Coach" : "Leader";
    const programme = person.programme ? ` · ${person.programme}` : "";
    return `${role}${programme} · ${person.timezone}`;
  }

  async function choose(id) {
    personId = id;
    const person = people.get(id);
    ui.info.textContent = person ? describe(person) : "";
    ui.say.disabled = ui.send.disabled = false;
    try {
      localStorage.setItem(STORE_KEY, String(id));
    } catch (_) {
      // storage may be unavailable (private windows); the choice just is not remembered
    }
    redraw();
    showError(null);
    try {
      await poll();
    } catch (error) {
      showError(error);
    }
    schedulePoll();
  }

  function group(label, members) {
    const optgroup = document.createElement("optgroup");
    optgroup.label = label;
    for (const person of members) {
      const option = document.createElement("option");
      option.value = String(person.id);
      option.textContent = `${person.name} (${person.timezone})`;
      optgroup.append(option);
    }
    return optgroup;
  }

  async function loadPeople() {
    const data = await api("GET", "/api/people");
    ui.person.replaceChildren();
    for (const person of data.people) people.set(person.id, person);
    if (!data.people.length) {
      const option = document.createElement("option");
      option.textContent = "No leaders or coaches yet";
      ui.person.append(option);
      return;
    }
    const leaders = data.people.filter((p) => p.role === "leader");
    const coaches = data.people.filter((p) => p.role === "coach");
    if (leaders.length) ui.person.append(group("Leaders", leaders));
    if (coaches.length) ui.person.append(group("Coaches", coaches));
    ui.person.disabled = false;
    let stored = null;
    try {
      stored = Number(localStorage.getItem(STORE_KEY));
    } catch (_) {
      stored = null;
    }
    const first = people.has(stored) ? stored : data.people[0].id;
    ui.person.value = String(first);
    await choose(first);
  }

  async function advance(step) {
    showError(null);
    const body = { advance: step };
    if (personId !== null) body.person_id = personId;
    for (const button of document.querySelectorAll("[data-advance]")) button.disabled = true;
    try {
      const data = await api("POST", "/api/clock", body);
      showClock(data);
      const ran = data.jobs.map((job) => `${job.job}: ${job.summary}`).join("\n");
      ui.clockStatus.textContent = ran ? `Ran at ${data.shown}:\n${ran}` : `Now ${data.shown}.`;
      await poll();
    } catch (error) {
      showError(error);
    } finally {
      for (const button of document.querySelectorAll("[data-advance]")) button.disabled = false;
    }
  }

  ui.person.addEventListener("change", () => {
    const id = Number(ui.person.value);
    if (people.has(id)) choose(id);
  });

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.say.value.trim();
    if (!text) return;
    ui.say.value = "";
    interact({ text }, text);
  });

  ui.transcript.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-action-id]");
    if (!button || !ui.transcript.contains(button)) return;
    interact(
      { action_id: button.dataset.actionId, value: button.dataset.value || "" },
      button.textContent.trim(),
    );
  });

  ui.transcript.addEventListener("submit", (event) => {
    const form = event.target;
    event.preventDefault();
    if (form.dataset.choiceActionId !== undefined) {
      const select = form.querySelector("select");
      if (!select || !select.value) return;
      const label = select.options[select.selectedIndex].textContent.trim();
      interact({ action_id: form.dataset.choiceActionId, value: select.value }, label);
      return;
    }
    if (form.dataset.formId !== undefined) {
      const values = {};
      for (const [name, value] of new FormData(form).entries()) values[name] = String(value);
      const title = form.querySelector("h4");
      for (const control of form.elements) control.disabled = true;
      const echo = title ? `✓ ${title.textContent}` : "✓";
      interact({ form_id: form.dataset.formId, values }, echo).then((ok) => {
        if (!ok) for (const control of form.elements) control.disabled = false;
      });
    }
  });

  for (const button of document.querySelectorAll("[data-advance]")) {
    button.addEventListener("click", () => advance(button.dataset.advance));
  }

  loadPeople().catch(showError);
})();
