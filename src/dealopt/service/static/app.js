/* dealopt deal desk: vanilla JavaScript, no build step, no external resources.
 *
 * The API key is kept in sessionStorage (this tab only) and sent as
 * "Authorization: Bearer KEY"; it never goes into a URL. The page keeps the
 * history of offers per model (also in sessionStorage), asks
 * POST /v1/models/{name}/counter for a recommendation, and draws the frontier.
 */
"use strict";

(() => {
  const KEY_STORE = "dealopt.apiKey";
  const MODEL_STORE = "dealopt.model";
  const HISTORY_STORE = "dealopt.history.";
  const STATUS_TEXT = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Not allowed",
    413: "Too large", 422: "Invalid input", 429: "Too many requests", 500: "Server error", 503: "Unavailable",
  };

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "style") node.style.cssText = v; // CSSOM: allowed by the page's Content-Security-Policy
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) node.append(c);
    return node;
  };

  const state = {
    models: [],
    model: null, // GET /v1/models/{name}
    history: [], // [{by, package, seller?, buyer?, evaluated?}]
    result: null, // the last counter answer
    values: false, // whether the key's role sees values (utilities, walk-aways, the frontier): desk and analysts
    frontier: [], // [[seller, buyer], …]
    walkAway: null, // {seller, buyer} once an evaluation told us
    sentIndex: null, // which counter of the last answer was sent
    token: 0, // guards against answers arriving for a model no longer shown
  };

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
    line() {
      if (!this.status) return this.message;
      const name = STATUS_TEXT[this.status] || "Error";
      return `${this.status} ${name}: ${this.message}`;
    }
  }

  async function api(path, body) {
    const key = sessionStorage.getItem(KEY_STORE);
    if (!key) throw new ApiError(0, "Enter your API key first.");
    const init = { method: body === undefined ? "GET" : "POST", headers: { Authorization: `Bearer ${key}` } };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (exc) {
      throw new ApiError(0, `Cannot reach the service (${exc.message}).`);
    }
    const text = await res.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = null;
    }
    if (!res.ok) {
      let detail = res.statusText || "request failed";
      if (data && typeof data.detail === "string") detail = data.detail;
      else if (data && Array.isArray(data.detail)) detail = data.detail.map((e) => e.msg || String(e)).join("; ");
      else if (text) detail = text.slice(0, 200);
      throw new ApiError(res.status, detail.replace(/\s+/g, " ").trim());
    }
    return data;
  }

  function showError(exc) {
    const line = exc instanceof ApiError ? exc.line() : `Unexpected error: ${exc && exc.message ? exc.message : exc}`;
    $("error-text").textContent = line;
    $("error").hidden = false;
    if (!(exc instanceof ApiError)) console.error(exc);
  }

  function clearError() {
    $("error").hidden = true;
    $("error-text").textContent = "";
  }

  // ---------- formatting ----------

  const num = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
  const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
  const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 2 });

  const issueLabel = (issue) => issue.label || issue.name.replace(/_/g, " ");
  const formatLevel = (value) => (typeof value === "number" ? num.format(value) : String(value));
  const optionWords = (issue, value) => {
    // The model's words for an option (its label), when it has them.
    if (!issue || !Array.isArray(issue.labels) || !Array.isArray(issue.values)) return undefined;
    const at = issue.values.findIndex((v) => sameLevel(v, value));
    return at >= 0 ? issue.labels[at] : undefined;
  };
  const formatLevelWithUnit = (issue, value) => {
    const words = optionWords(issue, value);
    if (words !== undefined) return words;
    return issue && issue.unit && typeof value === "number" ? `${formatLevel(value)} ${issue.unit}` : formatLevel(value);
  };
  // A flag is {code, detail} (older answers sent "code: detail" strings).
  const flagParts = (f) => {
    if (f && typeof f === "object") return { code: String(f.code || ""), detail: String(f.detail || "") };
    const text = String(f);
    const at = text.indexOf(":");
    return at < 0 ? { code: text.trim(), detail: "" } : { code: text.slice(0, at).trim(), detail: text.slice(at + 1).trim() };
  };
  const flagText = (f) => {
    const { code, detail } = flagParts(f);
    const name = code.replace(/_/g, " ");
    return detail ? `⚑ ${name}: ${detail}` : `⚑ ${name}`;
  };
  const money = (value) => `${whole.format(value)}${state.model && state.model.units ? ` ${state.model.units}` : ""}`;
  const issueByName = (name) => (state.model ? state.model.issues.find((i) => i.name === name) : undefined);
  const sameLevel = (a, b) => (typeof a === "number" && typeof b === "number" ? Math.abs(a - b) < 1e-9 : String(a) === String(b));

  function packageTerms(pkg) {
    // The package in the model's issue order, then any unknown keys.
    const order = state.model ? state.model.issues.map((i) => i.name) : [];
    const names = [...order.filter((n) => n in pkg), ...Object.keys(pkg).filter((n) => !order.includes(n))];
    return names.map((n) => {
      const issue = issueByName(n);
      return { name: n, label: issue ? issueLabel(issue) : n.replace(/_/g, " "), text: formatLevelWithUnit(issue, pkg[n]) };
    });
  }

  const termsLine = (pkg) => packageTerms(pkg).map((t) => `${t.label} ${t.text}`).join(" · ");
  const isComplete = (pkg) => !!state.model && state.model.issues.every((i) => i.name in pkg);

  // ---------- API key ----------

  function renderKeyStatus(kind) {
    const has = !!sessionStorage.getItem(KEY_STORE);
    const status = $("key-status");
    status.className = "key-status";
    if (!has) status.textContent = "no key yet";
    else if (kind === "bad") {
      status.textContent = "key rejected";
      status.classList.add("bad");
    } else if (kind === "ok") {
      status.textContent = "key in use (this tab only)";
      status.classList.add("ok");
    } else status.textContent = "key set (this tab only)";
    $("key-forget").hidden = !has;
  }

  async function saveKey(event) {
    event.preventDefault();
    const input = $("api-key");
    const key = input.value.trim();
    if (!key) {
      showError(new ApiError(0, "Enter an API key."));
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    input.value = "";
    input.placeholder = "enter another key to switch";
    renderKeyStatus();
    await loadModels();
  }

  function forgetKey() {
    sessionStorage.removeItem(KEY_STORE);
    $("api-key").placeholder = "paste your key once";
    renderKeyStatus();
    resetModels("— enter your API key first —");
  }

  // ---------- models ----------

  function resetModels(placeholder) {
    const select = $("model-select");
    select.replaceChildren(el("option", { value: "", text: placeholder }));
    select.disabled = true;
    state.models = [];
    setModel(null);
  }

  async function loadModels() {
    clearError();
    try {
      state.models = await api("/v1/models");
    } catch (exc) {
      renderKeyStatus(exc.status === 401 ? "bad" : undefined);
      resetModels("— no models: see the message above —");
      showError(exc);
      return;
    }
    renderKeyStatus("ok");
    const select = $("model-select");
    select.replaceChildren(el("option", { value: "", text: "— pick a model —" }));
    for (const m of state.models) {
      select.append(el("option", { value: m.name, text: `${m.title || m.name} (${m.name})` }));
    }
    select.disabled = false;
    const remembered = sessionStorage.getItem(MODEL_STORE);
    if (remembered && state.models.some((m) => m.name === remembered)) {
      select.value = remembered;
      await pickModel(remembered);
    } else {
      setModel(null);
    }
  }

  async function pickModel(name) {
    clearError();
    if (!name) {
      sessionStorage.removeItem(MODEL_STORE);
      setModel(null);
      return;
    }
    const token = ++state.token;
    try {
      const model = await api(`/v1/models/${encodeURIComponent(name)}`);
      if (token !== state.token) return;
      sessionStorage.setItem(MODEL_STORE, name);
      setModel(model);
    } catch (exc) {
      if (token !== state.token) return;
      setModel(null);
      showError(exc);
    }
  }

  function setModel(model) {
    state.token += 1;
    state.model = model;
    state.result = null;
    state.values = false;
    state.sentIndex = null;
    const saved = model ? loadSession(model.name) : {};
    state.history = saved.history || [];
    state.frontier = saved.frontier || [];
    state.walkAway = saved.walkAway || null;
    const info = $("model-info");
    if (model) {
      const size = model.space_size ? `${whole.format(model.space_size)} packages` : "continuous issues";
      info.textContent = `${model.issues.length} issues · ${size} · values in ${model.units || "utility units"}`;
    } else info.textContent = "";
    buildForm();
    const lastBuyer = [...state.history].reverse().find((o) => o.by === "buyer");
    if (lastBuyer) fillForm(lastBuyer.package);
    $("recommend").disabled = !model;
    renderHistory();
    renderResult();
    drawChart();
  }

  // ---------- the offer form ----------

  function buildForm() {
    const box = $("offer-fields");
    box.replaceChildren();
    if (!state.model) {
      box.append(el("p", { class: "muted", text: "Pick a model to build the form." }));
      return;
    }
    for (const issue of state.model.issues) {
      const id = `issue-${issue.name}`;
      let control;
      if (Array.isArray(issue.values) && (issue.kind === "categorical" || issue.kind === "ordinal")) {
        control = el("select", { id, "data-testid": id, "data-issue": issue.name });
        control.append(el("option", { value: "", text: "— not stated —" }));
        for (const v of issue.values) {
          const words = optionWords(issue, v);
          control.append(el("option", { value: String(v), text: words !== undefined ? words : formatLevel(v) }));
        }
      } else {
        // a number a buyer names: any value, between grid steps too (the engine reads it exactly)
        const [lo, hi] = issue.range || (Array.isArray(issue.values) ? [issue.values[0], issue.values[issue.values.length - 1]] : [undefined, undefined]);
        control = el("input", {
          id, "data-testid": id, "data-issue": issue.name, type: "number", step: issue.kind === "integer" ? "1" : "any", min: lo, max: hi,
          placeholder: lo !== undefined ? `${formatLevel(lo)} – ${formatLevel(hi)}` : "not stated",
        });
      }
      control.addEventListener("change", markStated);
      control.addEventListener("input", markStated);
      const name = el("span", { class: "name", text: issueLabel(issue) });
      if (issue.unit) name.append(el("span", { class: "unit", text: issue.unit }));
      box.append(el("label", { class: "field", for: id, "data-testid": `field-${issue.name}` }, name, control));
    }
  }

  function markStated(event) {
    const field = event.target.closest(".field");
    if (field) field.classList.toggle("stated", event.target.value !== "");
  }

  function readForm() {
    const pkg = {};
    if (!state.model) return pkg;
    for (const issue of state.model.issues) {
      const control = $(`issue-${issue.name}`);
      if (!control || control.value === "") continue;
      if (control.tagName === "SELECT") {
        const value = issue.values.find((v) => String(v) === control.value);
        if (value !== undefined) pkg[issue.name] = value;
      } else {
        const value = Number(control.value);
        if (Number.isFinite(value)) pkg[issue.name] = value;
      }
    }
    return pkg;
  }

  function fillForm(pkg) {
    if (!state.model) return;
    for (const issue of state.model.issues) {
      const control = $(`issue-${issue.name}`);
      if (!control) continue;
      const value = pkg[issue.name];
      if (value === undefined) control.value = "";
      else if (control.tagName === "SELECT") {
        const match = issue.values.find((v) => sameLevel(v, value));
        control.value = match === undefined ? "" : String(match);
      } else control.value = String(value);
      control.closest(".field").classList.toggle("stated", control.value !== "");
    }
  }

  // ---------- history ----------

  function loadSession(name) {
    // This tab's history, last frontier and walk-aways for a model.
    try {
      const data = JSON.parse(sessionStorage.getItem(HISTORY_STORE + name) || "{}");
      const history = Array.isArray(data.history) ? data.history : [];
      return {
        history: history.filter((o) => o && (o.by === "buyer" || o.by === "seller") && o.package),
        frontier: Array.isArray(data.frontier) ? data.frontier : [],
        walkAway: data.walkAway && typeof data.walkAway.seller === "number" ? data.walkAway : null,
      };
    } catch {
      return {};
    }
  }

  function saveHistory() {
    if (!state.model) return;
    const data = { history: state.history.map(({ tag, ...rest }) => rest), frontier: state.frontier, walkAway: state.walkAway };
    sessionStorage.setItem(HISTORY_STORE + state.model.name, JSON.stringify(data));
  }

  function renderHistory() {
    const list = $("history");
    list.replaceChildren();
    let buyerN = 0;
    let sellerN = 0;
    state.history.forEach((offer, index) => {
      const tag = offer.by === "buyer" ? `B${++buyerN}` : `S${++sellerN}`;
      offer.tag = tag;
      const item = el("li", { class: offer.by, "data-testid": "history-item", "data-by": offer.by });
      const actions = el("span", { class: "entry-actions" });
      if (offer.by === "buyer") {
        actions.append(el("button", { type: "button", class: "link", text: "edit", title: "Load into the form",
          onclick: () => fillForm(offer.package) }));
      }
      actions.append(el("button", { type: "button", class: "link", text: "remove", "aria-label": `Remove ${tag}`,
        onclick: () => removeOffer(index) }));
      item.append(actions, el("span", { class: "who", text: `${tag} · ${offer.by === "buyer" ? "Buyer" : "We"}` }));
      if (!isComplete(offer.package)) item.append(el("span", { class: "tag", text: "partial" }));
      if (typeof offer.seller === "number") {
        item.append(el("span", { class: "tag", text: `ours ${compact.format(offer.seller)} · theirs ${compact.format(offer.buyer)}` }));
      }
      item.append(el("div", { class: "terms", text: termsLine(offer.package) }));
      list.append(item);
    });
    $("history-empty").hidden = state.history.length > 0;
  }

  function removeOffer(index) {
    state.history.splice(index, 1);
    saveHistory();
    renderHistory();
    drawChart();
  }

  function clearHistory() {
    state.history = [];
    state.result = null;
    state.sentIndex = null;
    state.token += 1;
    saveHistory();
    renderHistory();
    renderResult();
    drawChart();
  }

  function stripMeta(offer) {
    return { by: offer.by, package: offer.package };
  }

  // ---------- recommendation ----------

  async function recommend(event) {
    event.preventDefault();
    clearError();
    if (!state.model) {
      showError(new ApiError(0, "Pick a model first."));
      return;
    }
    const pkg = readForm();
    if (Object.keys(pkg).length === 0) {
      showError(new ApiError(0, "Enter the buyer's offer: pick at least one issue."));
      return;
    }
    const body = { history: [], include_frontier: true };
    if ($("timing-rounds").checked) {
      // An empty field is left out: the service then says what is missing.
      if ($("round").value !== "") body.round = Number($("round").value);
      if ($("deadline").value !== "") body.deadline = Number($("deadline").value);
    } else body.progress = Number($("progress").value);

    // The form is the buyer's latest offer: it replaces a buyer offer not answered yet.
    const history = state.history.slice();
    const last = history[history.length - 1];
    const offer = { by: "buyer", package: pkg };
    if (last && last.by === "buyer") {
      const same = JSON.stringify(last.package) === JSON.stringify(pkg);
      history[history.length - 1] = same ? last : offer;
    } else history.push(offer);
    body.history = history.map(stripMeta);

    const token = state.token;
    const button = $("recommend");
    button.disabled = true;
    button.textContent = "Working…";
    document.body.dataset.busy = "true";
    try {
      const result = await api(`/v1/models/${encodeURIComponent(state.model.name)}/counter`, body);
      if (token !== state.token) return;
      state.history = history;
      state.result = result;
      state.sentIndex = null;
      state.values = typeof result.aspiration === "number" || Array.isArray(result.frontier);
      if (Array.isArray(result.frontier)) state.frontier = result.frontier;
      saveHistory();
      renderHistory();
      renderResult();
      drawChart();
      await evaluateOffers(token);
    } catch (exc) {
      if (token === state.token) showError(exc);
    } finally {
      button.disabled = !state.model;
      button.textContent = "Get recommendation";
      delete document.body.dataset.busy;
    }
  }

  async function evaluateOffers(token) {
    // Place the complete offers on the chart; partial offers are listed, not plotted. A rep's key sees no values:
    // nothing to place.
    if (!state.values) return;
    for (const offer of state.history) {
      if (typeof offer.seller === "number" || !isComplete(offer.package)) continue;
      const ev = await api(`/v1/models/${encodeURIComponent(state.model.name)}/evaluate`, { package: offer.package });
      if (token !== state.token) return;
      offer.seller = ev.seller;
      offer.buyer = ev.buyer;
      if (ev.walk_away) state.walkAway = ev.walk_away;
    }
    saveHistory();
    renderHistory();
    drawChart();
  }

  function sendCounter(index) {
    const c = state.result && state.result.counters[index];
    if (!c) return;
    state.history.push({ by: "seller", package: c.package, seller: c.seller, buyer: c.buyer });
    state.sentIndex = index;
    if ($("timing-rounds").checked) $("round").value = String(Number($("round").value || 0) + 1); // the next round
    saveHistory();
    renderHistory();
    renderResult();
    drawChart();
  }

  const VERDICT = { accept: "Accept the buyer's offer", counter: "Counter", walk_away: "Walk away" };

  function renderResult() {
    const box = $("recommendation");
    const r = state.result;
    box.replaceChildren();
    $("beliefs").hidden = true;
    $("proposal-block").hidden = true;
    $("counters-block").hidden = true;
    if (!r) {
      box.className = "recommendation empty";
      box.append(el("p", { class: "muted", text: state.model
        ? "Enter the buyer's offer and press “Get recommendation”."
        : "Pick a model to start." }));
      return;
    }
    box.className = `recommendation ${r.recommendation}`;
    box.dataset.recommendation = r.recommendation;
    box.append(
      el("div", { class: "verdict", "data-testid": "verdict", text: VERDICT[r.recommendation] || r.recommendation }),
      el("p", { class: "reason", "data-testid": "reason", text: r.reason }),
    );

    if (r.beliefs && Object.keys(r.beliefs).length) {
      const beliefs = $("beliefs");
      beliefs.replaceChildren(el("span", { class: "muted", text: "What we believe about the buyer:" }));
      for (const [name, p] of Object.entries(r.beliefs).sort((a, b) => b[1] - a[1])) {
        const bar = el("span", { class: "bar" }, el("span", { style: `width:${Math.round(p * 100)}%` }));
        beliefs.append(el("span", { class: "belief" }, `${name.replace(/_/g, " ")}`, bar, `${Math.round(p * 100)}%`));
      }
      beliefs.hidden = false;
    }

    // What the buyer may see: the proposal the API built, or the counter we sent.
    let proposal = r.proposal;
    if (state.sentIndex !== null && r.counters[state.sentIndex]) {
      const c = r.counters[state.sentIndex];
      proposal = { package: c.package, sentence: c.sentence };
    }
    if (proposal) {
      const lines = [proposal.sentence];
      if (proposal.package) {
        lines.push("", "Proposed terms:");
        for (const t of packageTerms(proposal.package)) lines.push(`  • ${t.label}: ${t.text}`);
      }
      $("proposal").textContent = lines.join("\n");
      $("proposal-block").hidden = false;
    }

    const list = $("counters");
    list.replaceChildren();
    if (r.counters && r.counters.length) {
      $("counters-title").textContent = r.recommendation === "counter"
        ? "Counter-offers, best first"
        : "Packages we could still offer";
      const lastBuyer = [...state.history].reverse().find((o) => o.by === "buyer");
      r.counters.forEach((c, i) => list.append(counterCard(c, i, lastBuyer ? lastBuyer.package : {})));
      $("counters-block").hidden = false;
    }
  }

  function counterCard(c, index, buyerPkg) {
    const sent = state.sentIndex === index;
    const item = el("li", { class: `counter${sent ? " sent" : ""}`, "data-testid": "counter", "data-rank": index + 1 });
    const send = el("button", {
      type: "button", class: sent ? "secondary send" : "primary send", "data-testid": "send-counter",
      text: sent ? "Sent ✓" : "Send this counter", disabled: state.sentIndex !== null,
      onclick: () => sendCounter(index),
    });
    item.append(el("div", { class: "head" },
      el("span", { class: "rank", text: String(index + 1) }),
      el("p", { class: "sentence", "data-testid": "counter-sentence", text: c.sentence }),
      send));

    const pkg = el("dl", { class: "package", "data-testid": "counter-package" });
    for (const t of packageTerms(c.package)) {
      let kind = "";
      if (!(t.name in buyerPkg)) kind = " added";
      else if (!sameLevel(buyerPkg[t.name], c.package[t.name])) kind = " changed";
      const title = kind === " changed" ? `buyer asked for ${formatLevel(buyerPkg[t.name])}`
        : kind === " added" ? "not stated by the buyer" : "as the buyer asked";
      pkg.append(el("div", { class: `chip${kind}`, title, "data-issue": t.name },
        el("dt", { text: t.label }), el("dd", { text: t.text })));
    }
    item.append(pkg);

    const metrics = el("div", { class: "metrics" });
    if (typeof c.seller === "number") { // values: for the roles that see them (not a rep)
      metrics.append(
        el("span", {}, "Ours ", el("b", { "data-testid": "counter-seller", text: money(c.seller) })),
        el("span", {}, "Buyer ", el("b", { "data-testid": "counter-buyer", text: money(c.buyer) })),
        el("span", {}, "Joint ", el("b", { text: money(c.joint) })));
    }
    if (typeof c.acceptance_probability === "number") {
      metrics.append(el("span", {}, "Acceptance ",
        el("b", { "data-testid": "counter-acceptance", text: `${Math.round(c.acceptance_probability * 100)}%` })));
    }
    if (metrics.childElementCount) item.append(metrics);

    if (c.flags && c.flags.length) {
      const flags = el("ul", { class: "flags", "data-testid": "counter-flags" });
      for (const f of c.flags) {
        const { code } = flagParts(f);
        flags.append(el("li", { class: `flag ${code}`, "data-flag": code, text: flagText(f) }));
      }
      item.append(flags);
    }
    return item;
  }

  async function copyProposal() {
    const text = $("proposal").textContent;
    try {
      await navigator.clipboard.writeText(text);
      $("copy-proposal").textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents($("proposal"));
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      $("copy-proposal").textContent = "Selected — press Ctrl+C";
    }
    setTimeout(() => { $("copy-proposal").textContent = "Copy"; }, 2000);
  }

  // ---------- the frontier chart ----------

  function niceTicks(lo, hi, count) {
    const span = hi - lo || Math.abs(hi) || 1;
    const raw = span / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) || 10 * mag;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) {
      ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    }
    return ticks;
  }

  function chartMarks() {
    const marks = [];
    const partial = [];
    for (const offer of state.history) {
      const kind = offer.by === "buyer" ? "buyer" : "sent";
      if (typeof offer.seller === "number") marks.push({ kind, label: offer.tag, x: offer.seller, y: offer.buyer });
      else if (state.values || !isComplete(offer.package)) partial.push(offer);
    }
    if (state.result && state.result.recommendation !== "accept") {
      state.result.counters.forEach((c, i) => {
        if (state.sentIndex !== i && typeof c.seller === "number") marks.push({ kind: "proposed", label: String(i + 1), x: c.seller, y: c.buyer });
      });
    }
    return { marks, partial };
  }

  function drawChart() {
    const canvas = $("frontier-chart");
    const { marks, partial } = chartMarks();
    const points = state.frontier.slice().sort((a, b) => a[0] - b[0]);
    canvas.dataset.frontierPoints = String(points.length);
    canvas.dataset.marks = String(marks.length);
    const valuesHidden = !!state.result && !state.values; // a rep's key: no values to draw
    $("chart-hidden").hidden = !valuesHidden;
    canvas.hidden = valuesHidden;
    $("chart-legend").hidden = valuesHidden;
    $("chart-empty").hidden = valuesHidden || points.length > 0 || marks.length > 0;

    const list = $("chart-marks");
    list.replaceChildren();
    for (const m of marks) {
      const who = m.kind === "buyer" ? "buyer's offer" : m.kind === "sent" ? "our counter sent" : "proposed counter";
      list.append(el("li", { "data-kind": m.kind, text: `${m.label} ${who}: ours ${money(m.x)}, theirs ${money(m.y)}` }));
    }
    for (const o of partial) {
      list.append(el("li", { class: "partial", "data-kind": "partial",
        text: `${o.tag} ${o.by === "buyer" ? "buyer's offer" : "our offer"} is partial (${termsLine(o.package)}): not plotted` }));
    }

    const dpr = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600;
    const height = canvas.clientHeight || 340;
    canvas.width = Math.round(width * dpr);
    canvas.height = Math.round(height * dpr);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!points.length && !marks.length) return;

    const xs = [...points.map((p) => p[0]), ...marks.map((m) => m.x)];
    const ys = [...points.map((p) => p[1]), ...marks.map((m) => m.y)];
    if (state.walkAway) {
      xs.push(state.walkAway.seller);
      ys.push(state.walkAway.buyer);
    }
    let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const padX = (x1 - x0 || Math.abs(x1) || 1) * 0.06;
    const padY = (y1 - y0 || Math.abs(y1) || 1) * 0.08;
    x0 -= padX; x1 += padX; y0 -= padY; y1 += padY;

    const m = { left: 64, right: 18, top: 14, bottom: 42 };
    const pw = width - m.left - m.right;
    const ph = height - m.top - m.bottom;
    const X = (v) => m.left + ((v - x0) / (x1 - x0)) * pw;
    const Y = (v) => m.top + ph - ((v - y0) / (y1 - y0)) * ph;

    // grid and axes
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "#6b7785";
    ctx.strokeStyle = "#edf0f4";
    ctx.lineWidth = 1;
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    for (const t of niceTicks(x0, x1, Math.max(3, Math.floor(pw / 110)))) {
      ctx.beginPath(); ctx.moveTo(X(t), m.top); ctx.lineTo(X(t), m.top + ph); ctx.stroke();
      ctx.fillText(compact.format(t), X(t), m.top + ph + 5);
    }
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of niceTicks(y0, y1, Math.max(3, Math.floor(ph / 60)))) {
      ctx.beginPath(); ctx.moveTo(m.left, Y(t)); ctx.lineTo(m.left + pw, Y(t)); ctx.stroke();
      ctx.fillText(compact.format(t), m.left - 6, Y(t));
    }
    ctx.strokeStyle = "#b8c2cd";
    ctx.strokeRect(m.left, m.top, pw, ph);
    const units = state.model && state.model.units ? ` (${state.model.units})` : "";
    ctx.fillStyle = "#3d4a58";
    ctx.textAlign = "center";
    ctx.textBaseline = "bottom";
    ctx.fillText(`our value${units} →`, m.left + pw / 2, height - 4);
    ctx.save();
    ctx.translate(14, m.top + ph / 2);
    ctx.rotate(-Math.PI / 2);
    ctx.textBaseline = "middle";
    ctx.fillText(`buyer's value${units} →`, 0, 0);
    ctx.restore();

    ctx.save();
    ctx.beginPath();
    ctx.rect(m.left, m.top, pw, ph);
    ctx.clip();
    // the zone of agreement (both sides at least at their walk-away)
    if (state.walkAway) {
      const zx = X(state.walkAway.seller);
      const zy = Y(state.walkAway.buyer);
      ctx.fillStyle = "rgba(31, 157, 106, 0.08)";
      ctx.fillRect(zx, m.top, m.left + pw - zx, zy - m.top);
      ctx.setLineDash([5, 4]);
      ctx.strokeStyle = "rgba(31, 157, 106, 0.6)";
      ctx.beginPath();
      ctx.moveTo(zx, m.top); ctx.lineTo(zx, m.top + ph);
      ctx.moveTo(m.left, zy); ctx.lineTo(m.left + pw, zy);
      ctx.stroke();
      ctx.setLineDash([]);
    }
    // the frontier
    if (points.length) {
      ctx.strokeStyle = "#5b6b7d";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      points.forEach((p, i) => (i ? ctx.lineTo(X(p[0]), Y(p[1])) : ctx.moveTo(X(p[0]), Y(p[1]))));
      ctx.stroke();
      ctx.fillStyle = "#5b6b7d";
      if (points.length <= 400) {
        for (const p of points) { ctx.beginPath(); ctx.arc(X(p[0]), Y(p[1]), 2, 0, 2 * Math.PI); ctx.fill(); }
      }
    }
    ctx.restore();

    // the offers and counters
    const colours = { buyer: "#d9730d", sent: "#2457c5", proposed: "#1f9d6a" };
    ctx.lineWidth = 1.5;
    const order = { proposed: 0, sent: 1, buyer: 2 }; // offers drawn over the proposals they may coincide with
    for (const mk of marks.slice().sort((a, b) => order[a.kind] - order[b.kind])) {
      const x = X(mk.x);
      const y = Y(mk.y);
      ctx.fillStyle = colours[mk.kind];
      ctx.strokeStyle = "#fff";
      ctx.beginPath();
      if (mk.kind === "buyer") {
        ctx.moveTo(x, y - 7); ctx.lineTo(x + 7, y); ctx.lineTo(x, y + 7); ctx.lineTo(x - 7, y); ctx.closePath();
      } else if (mk.kind === "sent") ctx.rect(x - 6, y - 6, 12, 12);
      else ctx.arc(x, y, 6, 0, 2 * Math.PI);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = colours[mk.kind];
      ctx.font = "bold 11px system-ui, sans-serif";
      if (mk.kind === "proposed") {
        ctx.textAlign = "right";
        ctx.textBaseline = "top";
        ctx.fillText(mk.label, x - 7, y + 4);
      } else {
        ctx.textAlign = "left";
        ctx.textBaseline = "bottom";
        ctx.fillText(mk.label, x + 8, y - 4);
      }
    }
  }

  // ---------- wiring ----------

  function init() {
    $("key-form").addEventListener("submit", saveKey);
    $("key-forget").addEventListener("click", forgetKey);
    $("error-close").addEventListener("click", clearError);
    $("model-select").addEventListener("change", (e) => pickModel(e.target.value));
    $("offer-form").addEventListener("submit", recommend);
    $("clear-offer").addEventListener("click", () => fillForm({}));
    $("clear-history").addEventListener("click", clearHistory);
    $("copy-proposal").addEventListener("click", copyProposal);
    const progress = $("progress");
    const showProgress = () => { $("progress-value").textContent = `${Math.round(Number(progress.value) * 100)}%`; };
    progress.addEventListener("input", showProgress);
    showProgress();
    for (const radio of document.querySelectorAll('input[name="timing"]')) {
      radio.addEventListener("change", () => {
        const rounds = $("timing-rounds").checked;
        $("rounds-row").hidden = !rounds;
        $("progress-row").hidden = rounds;
      });
    }
    let resizeTimer = null;
    window.addEventListener("resize", () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(drawChart, 100);
    });
    renderKeyStatus();
    renderResult();
    drawChart();
    if (sessionStorage.getItem(KEY_STORE)) loadModels();
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
