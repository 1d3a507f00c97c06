// The Coach Companion playground: talk to the bot as any leader or coach of the local sample
// organisation. Messages come from the server already rendered and escaped (handlers/web/render.py).
// What you type is kept in this tab only (sessionStorage, see playground-log.js).
"use strict";

(() => {
  const POLL_MS = 2000;
  const STORE_KEY = "cc-playground-person";
  const Log = window.ccPlaygroundLog; // playground-log.js
  const $ = (selector) => document.querySelector(selector);
  const ui = {
    person: $("#person"),
    info: $("#person-info"),
    zone: $("#person-zone"),
    clock: $("#clock-now"),
    clockStatus: $("#clock-status"),
    transcript: $("#transcript"),
    composer: $("#composer"),
    say: $("#say"),
    send: $("#send"),
    error: $("#error"),
  };
  const transcripts = new Map(); // person id -> a log of playground-log.js
  const people = new Map();
  let personId = null;
  let pollTimer = null;
  let pollError = false;
  let moving = false;
  let queue = Promise.resolve();

  // One request at a time: every answer then updates the cursor and waiting list in order.
  function serial(task) {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(path, init);
    } catch (_) {
      throw new Error("The playground server is not answering. Is it still running?");
    }
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
    pollError = false;
  }

  function logOf(id) {
    if (!transcripts.has(id)) transcripts.set(id, Log.newLog());
    return transcripts.get(id);
  }

  // --- drawing -----------------------------------------------------------------------------

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

  function addMine(owner, text) {
    Log.addMine(logOf(owner), owner, text);
    if (owner !== personId) return;
    clearEmpty();
    ui.transcript.append(meNode(text));
    scrollDown();
  }

  function addEntries(owner, entries) {
    const log = transcripts.get(owner);
    if (!log) return;
    for (const entry of entries) {
      const item = Log.apply(log, entry);
      if (!item || owner !== personId) continue;
      const old = item.node;
      item.node = botNode(item.entry);
      if (old && old.isConnected) old.replaceWith(item.node);
      else {
        clearEmpty();
        ui.transcript.append(item.node);
      }
    }
    if (owner === personId && entries.length) scrollDown();
  }

  function redraw() {
    ui.transcript.replaceChildren();
    const log = logOf(personId);
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

  // --- talking to the server ---------------------------------------------------------------

  // First view of a person in this tab: every delivered message, in the order it was sent,
  // with what they typed put back after the message it answered.
  async function load(owner) {
    const log = logOf(owner);
    const entries = [];
    let data;
    do {
      data = await api("GET", `/api/transcript?person_id=${owner}&after=${log.cursor}`);
      entries.push(...data.entries);
      Log.remember(log, data);
    } while (data.more && data.entries.length);
    Log.rebuild(log, owner, entries);
    if (owner === personId) {
      redraw();
      showClock(data.clock);
    }
  }

  async function poll() {
    if (personId === null) return;
    const owner = personId;
    const log = logOf(owner);
    if (!log.loaded) {
      await load(owner);
      return;
    }
    let query = `person_id=${owner}&after=${log.cursor}`;
    if (log.waiting.length) query += `&waiting=${log.waiting.join(",")}`;
    const data = await api("GET", `/api/transcript?${query}`);
    Log.remember(log, data);
    addEntries(owner, data.entries);
    if (owner === personId) showClock(data.clock);
  }

  function schedulePoll() {
    clearTimeout(pollTimer);
    pollTimer = setTimeout(async () => {
      try {
        await serial(poll);
        if (pollError) showError(null);
      } catch (error) {
        showError(error);
        pollError = true;
      }
      schedulePoll();
    }, POLL_MS);
  }

  async function interact(payload, echo) {
    if (personId === null || moving) return false;
    const owner = personId;
    showError(null);
    try {
      return await serial(async () => {
        const log = logOf(owner);
        if (!log.loaded) await load(owner);
        if (echo) addMine(owner, echo);
        const data = await api("POST", "/api/interact", {
          person_id: owner,
          after: log.cursor,
          waiting: log.waiting,
          ...payload,
        });
        Log.remember(log, data);
        addEntries(owner, data.entries);
        if (owner === personId) showClock(data.clock);
        return true;
      });
    } catch (error) {
      showError(error);
      return false;
    }
  }

  // --- who is talking ----------------------------------------------------------------------

  function describe(person) {
    const role = person.role === "coach" ? "Coach" : "Leader";
    return person.programme ? `${role} · ${person.programme}` : role;
  }

  function setComposer(enabled) {
    ui.say.disabled = ui.send.disabled = !enabled;
  }

  async function choose(id) {
    personId = id;
    const person = people.get(id);
    ui.info.textContent = person ? describe(person) : "";
    ui.zone.textContent = person ? `Time zone: ${person.timezone}` : "";
    setComposer(!moving);
    try {
      localStorage.setItem(STORE_KEY, String(id));
    } catch (_) {
      // storage may be unavailable (private windows); the choice just is not remembered
    }
    redraw();
    showError(null);
    try {
      await serial(poll);
    } catch (error) {
      showError(error);
    }
    schedulePoll();
  }

  function group(label, members, names) {
    const optgroup = document.createElement("optgroup");
    optgroup.label = label;
    for (const person of members) {
      const option = document.createElement("option");
      option.value = String(person.id);
      // The zone is on the card below; only a name two people share needs it here.
      const shared = names.get(person.name) > 1;
      option.textContent = shared ? `${person.name} (${person.timezone})` : person.name;
      optgroup.append(option);
    }
    return optgroup;
  }

  async function loadPeople() {
    const data = await api("GET", "/api/people");
    ui.person.replaceChildren();
    const names = new Map();
    for (const person of data.people) {
      people.set(person.id, person);
      names.set(person.name, (names.get(person.name) || 0) + 1);
    }
    if (!data.people.length) {
      const option = document.createElement("option");
      option.textContent = "No leaders or coaches yet";
      ui.person.append(option);
      return;
    }
    const leaders = data.people.filter((p) => p.role === "leader");
    const coaches = data.people.filter((p) => p.role === "coach");
    if (leaders.length) ui.person.append(group("Leaders", leaders, names));
    if (coaches.length) ui.person.append(group("Coaches", coaches, names));
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

  // --- the virtual clock -------------------------------------------------------------------

  async function advance(step) {
    showError(null);
    const body = { advance: step };
    if (personId !== null) body.person_id = personId;
    const buttons = document.querySelectorAll("[data-advance]");
    moving = true;
    for (const button of buttons) button.disabled = true;
    setComposer(false);
    ui.clockStatus.textContent = "Moving the clock and running the sweeps…";
    ui.clockStatus.removeAttribute("title");
    try {
      const data = await api("POST", "/api/clock", body);
      showClock(data);
      ui.clockStatus.textContent = data.summary;
      // The sweeps' own words, for debugging: hover the line (or read the JSON).
      ui.clockStatus.title = data.jobs.map((job) => `${job.job}: ${job.summary}`).join("\n");
      await serial(poll);
    } catch (error) {
      ui.clockStatus.textContent = "";
      showError(error);
    } finally {
      moving = false;
      for (const button of buttons) button.disabled = false;
      setComposer(personId !== null);
    }
  }

  ui.person.addEventListener("change", () => {
    const id = Number(ui.person.value);
    if (people.has(id)) choose(id);
  });

  ui.composer.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = ui.say.value.trim();
    if (!text || moving) return;
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
