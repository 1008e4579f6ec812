// kform.js: the widget's entry module.
//
//   <script type="module" src="https://relay.example/widget/kform.js"></script>
//   <div data-kform="contact" data-kform-relay="https://relay.example" data-kform-lang="ja"></div>
//
//   import { KForm } from "https://relay.example/widget/kform.js";
//   const form = await KForm.mount(element, { form: "contact", relay: "https://relay.example" });
//   form.unmount();
//
// HTML first: for each form it fetches the markup the relay renders (GET /v1/forms/{id}/html,
// which also carries the form's descriptor for the WebAssembly) and shows it in the element's
// shadow root at once, so the visitor reads and types while the WebAssembly downloads. When the .wasm has arrived it
// takes the form over in place (kintone's live checks, pages, conditions, confirmation,
// retries) without touching what was typed. A form's captcha is this script's in both modes
// (kform-captcha.js, loaded for such a form only). If WebAssembly cannot run (not supported,
// refused by the page's Content-Security-Policy, failed to load, integrity mismatch), the form
// stays in its basic mode: this script posts it to the relay, which answers with the markup
// again (kintone's messages on their fields) or the thanks. `kform:ready`'s detail says which
// mode the form is in.
//
// This file is not served as it is: `cargo xtask build-widget` puts the wasm-bindgen glue in
// front of it (as `newWasmBindgen`, which sets up a copy of it for one .wasm) and writes the
// sha256 of each .wasm and of kform-captcha.js in place of its integrity placeholder, so
// pinning kform.js with <script integrity> pins the widget's code. A form's markup and stylesheet come from the relay
// that serves its data (the editor's preview too: the relay renders the draft). Showing a form
// needs none of the glue.

/** A constructed stylesheet (which a page's Content-Security-Policy cannot refuse). */
function sheetOf(text) {
  const css = new CSSStyleSheet();
  css.replaceSync(text);
  return css;
}

// The widget's builds of its .wasm, on the one glue, each with just what a form uses of what
// few forms use, as its markup says (`data-kform-wasm`, `kform_view::markup::WidgetBuild`): the
// lean one (no subtable rows or confirmation screen, most forms), one with subtable rows, one
// with the confirmation screen, and the whole one for any other form.
const WASM = {
  lean: ["./kform_widget_lean_bg.wasm", "@KFORM_LEAN_WASM_INTEGRITY@"],
  rows: ["./kform_widget_rows_bg.wasm", "@KFORM_ROWS_WASM_INTEGRITY@"],
  confirm: ["./kform_widget_confirm_bg.wasm", "@KFORM_CONFIRM_WASM_INTEGRITY@"],
  whole: ["./kform_widget_bg.wasm", "@KFORM_WASM_INTEGRITY@"],
};
const engines = {};
// The lean .wasm's download when it was started on a guess, before any form's markup said which
// build it needs (see `mountAll`), until a form claims it.
let guess = null;

/**
 * The WebAssembly build `kind` names (a key of `WASM`, else the whole one), which downloads and
 * compiles (off the main thread, as it streams) as soon as a form's markup says it needs it (its
 * `data-kform-wasm`, or the relay's `kform-wasm` header on it), once per page for each build.
 * It takes the form over when it is there. A page without WebAssembly keeps every form in its
 * basic mode.
 */
function engine(kind, guessing) {
  kind = WASM.hasOwnProperty(kind) ? kind : "whole";
  if (kind === "lean" && !guessing) guess = null;
  if (!engines[kind]) {
    const [file, integrity] = WASM[kind];
    const glue = typeof WebAssembly === "object" ? newWasmBindgen() : null;
    const download = new AbortController();
    if (guessing) guess = download;
    engines[kind] = glue
      ? glue({ module_or_path: fetch(new URL(file, import.meta.url), { integrity, signal: download.signal }) }).then(() => glue)
      : Promise.reject(new Error("this browser runs no WebAssembly"));
    engines[kind].catch(() => {});
  }
  return engines[kind];
}

let captchaModule = null;

/**
 * kform-captcha.js, loaded once per page for the forms that ask for a captcha. A module
 * preloaded with its integrity is the one `import()` then runs (the module map holds it), so it
 * is pinned like the .wasm; a browser without `modulepreload` imports it unpinned.
 */
function captchaScript() {
  const href = new URL("./kform-captcha.js", import.meta.url).href;
  return (captchaModule ??= new Promise((loaded, failed) => {
    const link = Object.assign(document.createElement("link"), { rel: "modulepreload", href, integrity: "@KFORM_CAPTCHA_INTEGRITY@" });
    link.onload = loaded;
    link.onerror = () => failed(new Error(`${href} did not load`));
    document.head.append(link);
    if (!link.relList.supports("modulepreload")) loaded();
  }).then(() => import(href)));
}

/** A form needs another .wasm than the lean one: the lean one guessed and not claimed stops downloading. */
function unguess() {
  guess?.abort();
  if (guess) delete engines.lean;
  guess = null;
}

// The relay that serves this file is the default relay: the part of this module's URL before
// /widget/ (it is also served under /widget/<version>/ for long caching).
const here = new URL(import.meta.url).href;
const defaultRelay = here.includes("/widget/") ? here.slice(0, here.lastIndexOf("/widget/") + 1) : new URL("..", here).href;
const mounted = new WeakMap();
const RETRY_MS = [1000, 2000, 4000, 8000, 16000];
const LOAD_FAILED = { ja: "フォームを読み込めませんでした。", en: "The form could not be loaded." };

function emit(element, name, detail) {
  element.dispatchEvent(new CustomEvent(name, { bubbles: true, composed: true, detail }));
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Why a request to the relay failed, as a sentence for `kform:error`'s reason. */
async function refusal(response, form) {
  const { code } = await response.json().catch(() => ({}));
  if (code === "origin_not_allowed") return `this page's origin (${location.origin}) is not in the allowed_origins of form "${form}"`;
  if (code === "unknown_form") return `the relay has no form "${form}"`;
  return `the relay answered ${response.status}${code ? ` (${code})` : ""}`;
}

/** Sets the form's inputs from (name, value) pairs: a repeated name checks several boxes. */
function prefill(form, pairs) {
  const cleared = new Set();
  for (const [name, value] of pairs) {
    const found = name.startsWith("kform_") ? null : form.elements.namedItem(name);
    if (!found) continue;
    const inputs = found instanceof RadioNodeList ? [...found] : [found];
    const type = inputs[0].type;
    if (type === "checkbox") {
      if (!cleared.has(name)) inputs.forEach((box) => (box.checked = false));
      cleared.add(name);
      inputs.forEach((box) => (box.checked ||= box.value === value));
    } else if (type === "radio") {
      inputs.forEach((button) => (button.checked = button.value === value));
    } else if (type !== "file" && type !== "hidden") {
      inputs[0].value = value;
    }
  }
}

/** A form on the page: its markup shown at once, then taken over or kept in basic mode. */
class Mount {
  constructor(element, { form, relay, lang, values }) {
    this.element = element;
    this.form = String(form);
    this.lang = lang || null;
    this.relay = new URL(relay || defaultRelay, document.baseURI).href.replace(/\/+$/, "");
    this.url = `${this.relay}/v1/forms/${encodeURIComponent(this.form)}`;
    this.query = this.lang ? `?lang=${encodeURIComponent(this.lang)}` : "";
    this.values = values;
  }

  async start() {
    try {
      const response = await this.load(`${this.url}/html${this.query}`);
      // Before the markup is read and shown: the .wasm compiles while the form is laid out.
      const early = response.headers.get("kform-wasm");
      if (early) engine(early);
      if (early && early !== "lean") unguess();
      const html = await response.text();
      // Unmounted meanwhile (another form mounted in its element, say): that one shows.
      if (this.removed) return;
      this.show(html);
      // A proxy or a captive portal on the way may answer with a page of its own.
      const form = this.root?.querySelector("form");
      if (!form) throw new Error(`the relay at ${this.relay} answered with something other than the form`);
      this.challenge();
      this.hold();
      const query = [...new URLSearchParams(location.search)];
      const given = Object.entries(this.values ?? {}).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((item) => [name, String(item)]));
      prefill(form, [...query, ...given]);
      this.field("kform_render_token", response.headers.get("kform-render-token") ?? "");
    } catch (error) {
      if (this.removed) return;
      unguess();
      // The short message, then whatever the page put in the element for this case (a link to
      // the form's hosted page, say), which the slot shows again.
      this.attach();
      this.shadow.innerHTML = `<p class="kform-alert" role="alert" part="form-root"></p><slot></slot>`;
      this.shadow.firstChild.textContent = LOAD_FAILED[this.lang ?? document.documentElement.lang] ?? LOAD_FAILED.ja;
      emit(this.element, "kform:error", { stage: "load", reason: error.message });
      return;
    }
    try {
      const kind = this.root.dataset.kformWasm;
      if (kind !== "lean") unguess();
      const wasm = await engine(kind);
      if (this.removed) return;
      this.live = wasm.takeOver(this.element, this.root, this.form, this.relay, this.lang);
    } catch (error) {
      this.basic(error);
    }
    this.release();
  }

  /**
   * A form already in the page: the relay's hosted page's (in the element itself), or one a
   * host page's server included in the element's declarative shadow root (`shadow`, from the
   * relay's `/include`). Taken over when the WebAssembly has arrived; without it, the hosted
   * page's plain form posts itself and an included form posts through this script, as a
   * fetched one does.
   */
  async adopt(shadow) {
    this.shadow = shadow;
    this.events = shadow ?? this.element;
    this.root = this.events.querySelector(".kform");
    const wasm = engine(this.root.dataset.kformWasm);
    let descriptor = null;
    if (shadow) {
      // A page whose policy refused the `<style>` (its `sheet` is null) gets the stylesheet now
      // as a constructed one, which no policy refuses. Otherwise the `<style>` stays until the
      // basic mode needs it to (`keepStyle`): turning it into a constructed one makes the browser
      // style the whole form again, which delayed the takeover (`kform:ready` 14–18 ms sooner
      // without it, `widget-ab.mjs` on the included bench page).
      this.style = shadow.querySelector("style");
      if (!this.style?.sheet) this.keepStyle();
      prefill(this.root.querySelector("form"), [...new URLSearchParams(location.search)]);
      // The descriptor, for the WebAssembly, with a fresh render token (the page may have been
      // served, or cached, a while ago).
      descriptor = this.load(this.url).then(async (response) => {
        const data = document.createElement("script");
        data.type = "application/json";
        data.className = "kform-descriptor";
        data.textContent = await response.text();
        this.root.append(data);
        this.field("kform_render_token", response.headers.get("kform-render-token") ?? "");
      });
    }
    this.field("kform_tz", String(new Date().getTimezoneOffset()));
    this.challenge();
    this.hold();
    try {
      const [glue] = await Promise.all([wasm, descriptor]);
      if (this.removed) return;
      this.live = glue.takeOver(this.element, this.root, this.form, this.relay, this.lang);
    } catch (error) {
      this.basic(error);
    }
    this.release();
  }

  /**
   * An included form's stylesheet as a constructed one, which stays when the basic mode shows
   * the relay's answer (that carries none) in place of the form.
   */
  keepStyle() {
    if (this.style) {
      this.shadow.adoptedStyleSheets = [sheetOf(this.style.textContent)];
      this.style.remove();
      this.style = null;
    }
  }

  /** A GET from the relay; refused or unreachable, an error whose message is a sentence. */
  async load(url) {
    const response = await fetch(url).catch(() => {
      throw new Error(`the relay at ${this.relay} could not be reached`);
    });
    if (!response.ok) throw new Error(await refusal(response, this.form));
    return response;
  }

  /** Holds a submit made before the form's mode is settled, rather than leaving the page. */
  hold() {
    this.held = null;
    this.holding = (event) => {
      event.preventDefault();
      event.stopImmediatePropagation();
      this.held = event.submitter ?? event.target;
      // Looks busy until then; not disabled, so the focus stays on it.
      event.submitter?.setAttribute("aria-disabled", "true");
    };
    this.events.addEventListener("submit", this.holding, true);
  }

  /** Submits again what was held, now that the form is taken over or basic. */
  release() {
    this.events.removeEventListener("submit", this.holding, true);
    this.held?.removeAttribute("aria-disabled");
    const form = this.root?.querySelector("form");
    if (this.held && form) form.requestSubmit(this.held.form ? this.held : null);
  }

  /**
   * Shows markup from the relay. Its form's own address, the relay's hosted page, is made
   * absolute (the markup's is relative to the relay), though a script always sends it.
   */
  show(html) {
    this.attach();
    this.shadow.innerHTML = html;
    this.root = this.shadow.firstElementChild;
    // Adopted in the same task as the markup is shown, so the form is never drawn unstyled.
    const style = this.root.querySelector("script.kform-stylesheet");
    if (style) {
      this.shadow.adoptedStyleSheets = [sheetOf(JSON.parse(style.textContent))];
      style.remove();
    }
    const form = this.root.querySelector("form");
    if (form) form.action = `${this.relay}/f/${encodeURIComponent(this.form)}${this.query}`;
    this.field("kform_tz", String(new Date().getTimezoneOffset()));
  }

  /**
   * Gives a fetched form its element's shadow root, where its events are listened to too. Only
   * once there is something to show in it: until then the element shows what the page put in it.
   */
  attach() {
    this.events = this.shadow ??= this.element.shadowRoot ?? this.element.attachShadow({ mode: "open" });
  }

  field(name, value) {
    const input = this.root.querySelector(`input[name=${name}]`);
    if (input) input.value = value;
  }

  /**
   * A form that asks for a captcha gets its challenge from kform-captcha.js, and the answer's
   * input after each time the form is shown; `after` says what happened to it since (a
   * basic-mode post's outcome, or "gone").
   */
  challenge(after) {
    const slot = this.root?.querySelector("slot[name=captcha]");
    if ((this.captcha ||= !!slot)) {
      captchaScript().then((captcha) => captcha.attach(this, slot, after))
        .catch((error) => emit(this.element, "kform:error", { stage: "captcha", reason: error.message }));
    }
  }

  /**
   * Without the WebAssembly: every page at once, and posts through the relay (a hosted page's
   * form, laid out so already, posts itself).
   */
  basic(error) {
    if (this.removed) return;
    emit(this.element, "kform:error", { stage: "script", reason: String(error?.message ?? error) });
    if (this.shadow) {
      this.keepStyle();
      this.root.querySelectorAll("[data-kform-page], [data-kform-item]").forEach((part) => (part.hidden = false));
      const send = this.root.querySelector(".kform-submit");
      send.textContent = send.dataset.kformSend;
      // Every field is shown now, so the browser's own checks can run (an included form's
      // button skips them while it may hide some).
      send.formNoValidate = false;
      this.events.addEventListener("submit", (event) => this.post(event));
    }
    emit(this.element, "kform:ready", { mode: "basic" });
  }

  async post(event) {
    event.preventDefault();
    const form = event.target;
    if (this.busy) return;
    this.busy = true;
    const id = form.elements.namedItem("kform_submission_id");
    // One id for every try of this submission, so the relay keeps one. Pages on plain HTTP have
    // no crypto.randomUUID; a blob: address ends with a fresh UUID in every browser.
    id.value ||= crypto.randomUUID?.() ?? URL.createObjectURL(new Blob()).slice(-36);
    const data = new FormData(form, event.submitter);
    const body = form.enctype === "multipart/form-data" ? data : new URLSearchParams(data);
    // Where the visitor came from, for the form's capture items (UTM parameters, referrer).
    const came = new URLSearchParams({ kform_page: location.search, kform_referrer: document.referrer });
    if (this.lang) came.set("lang", this.lang);
    const address = `${this.url}/html?${came}`;
    const buttons = form.querySelectorAll("button");
    buttons.forEach((button) => (button.disabled = true));
    let response;
    for (const delay of [...RETRY_MS, null]) {
      response = await fetch(address, { method: "POST", body }).catch(() => null);
      if (response && ![408, 429].includes(response.status) && response.status < 500) break;
      if (delay === null) break;
      emit(this.element, "kform:error", { stage: "submit", reason: "the relay could not be reached", retrying_in_ms: delay });
      await sleep(delay);
    }
    this.busy = false;
    buttons.forEach((button) => (button.disabled = false));
    const outcome = response?.headers.get("kform-outcome");
    if (!outcome) {
      const alert = form.querySelector(".kform-alert");
      alert.textContent = alert.dataset.kformFailed;
      emit(this.element, "kform:error", { stage: "submit", reason: response ? await refusal(response, this.form) : "the relay could not be reached" });
      return;
    }
    this.show(await response.text());
    this.challenge(outcome);
    if (outcome === "sent") {
      emit(this.element, "kform:submitted", JSON.parse(response.headers.get("kform-submission")));
      const redirect = response.headers.get("kform-redirect");
      if (redirect) location.href = redirect;
    } else if (outcome === "invalid") {
      const errors = [...this.root.querySelectorAll(".kform-message")].filter((message) => message.textContent)
        .map((message) => ({ field: message.dataset.kformSlot, message: message.textContent }));
      emit(this.element, "kform:invalid", { errors });
    }
    const row = outcome === "rows" && this.root.querySelector(`[data-kform-rows="${CSS.escape(event.submitter?.value.split(":")[1] ?? "")}"] > .kform-row:last-child :is(input, select, textarea)`);
    (row || this.root.querySelector("#kform-summary, #kform-thanks"))?.focus();
  }

  unmount() {
    this.removed = true;
    this.challenge("gone");
    this.live?.unmount();
    this.shadow?.replaceChildren();
  }
}

export const KForm = {
  /**
   * Mounts the form `form` from `relay` into `element`; resolves to a handle with unmount()
   * once its markup is shown. `values` prefills fields by field code (`{ 会社名: "…",
   * 関心: ["A", "B"] }`). `onSubmit(detail)` is called with the relay's answer after each
   * successful submission.
   */
  async mount(element, { onSubmit, ...options } = {}) {
    mounted.get(element)?.unmount();
    const mount = new Mount(element, options);
    const listener = typeof onSubmit === "function" ? (event) => onSubmit(event.detail) : null;
    if (listener) element.addEventListener("kform:submitted", listener);
    const handle = {
      unmount() {
        if (listener) element.removeEventListener("kform:submitted", listener);
        mounted.delete(element);
        mount.unmount();
      },
    };
    mounted.set(element, handle);
    await mount.start();
    return handle;
  },
  /**
   * Mounts a preview: `markup` from the relay's `POST /v1/admin/preview` (a draft form rendered
   * as an embedded form's), taken over with no relay, so it never sends.
   */
  async preview(element, markup, { lang } = {}) {
    // The whole .wasm, which takes over any form.
    const wasm = await engine("whole");
    mounted.get(element)?.unmount();
    const mount = new Mount(element, { lang });
    mount.show(markup);
    mount.live = wasm.takeOver(element, mount.root, "", null, mount.lang);
    const handle = {
      unmount() {
        mounted.delete(element);
        mount.unmount();
      },
    };
    mounted.set(element, handle);
    return handle;
  },
};

/** `<kform-form form="…" relay="…" lang="…">`: the same form as a custom element. */
class KFormElement extends HTMLElement {
  static get observedAttributes() {
    return ["form", "relay", "lang"];
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.render();
  }

  disconnectedCallback() {
    mounted.get(this)?.unmount();
  }

  /**
   * Mounts once per turn however many attributes changed (a script that sets form, relay and
   * lang one after another downloads the form once), and only with a form id.
   */
  render() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      if (!this.isConnected || !this.getAttribute("form")) return;
      const [form, relay, lang] = ["form", "relay", "lang"].map((name) => this.getAttribute(name) ?? undefined);
      KForm.mount(this, { form, relay, lang });
    });
  }
}

if (!customElements.get("kform-form")) customElements.define("kform-form", KFormElement);

/**
 * Mounts every `[data-kform]` element at once, so their markup downloads side by side, and
 * takes over the forms already in the page: a relay's hosted page's (`[data-kform-hosted]`)
 * and those a host's server included (a `[data-kform]` whose shadow root holds the form).
 */
function mountAll() {
  for (const element of document.querySelectorAll("[data-kform-hosted]")) {
    const { kformHosted: form, kformLang: lang } = element.dataset;
    new Mount(element, { form, lang }).adopt();
  }
  for (const element of document.querySelectorAll("[data-kform]")) {
    if (mounted.has(element)) continue;
    const { kform, kformRelay, kformLang } = element.dataset;
    const options = { form: kform, relay: kformRelay, lang: kformLang };
    if (element.shadowRoot?.querySelector(".kform")) {
      const mount = new Mount(element, options);
      mounted.set(element, { unmount: () => (mounted.delete(element), mount.unmount()) });
      mount.adopt(element.shadowRoot);
    } else {
      // Most forms need the lean .wasm: it starts downloading now, on a guess, rather than when
      // the form's markup has said so, which lets the browser compile it before it lays the
      // form out (56 ms sooner `kform:ready` for the bench form, `widget-ab.mjs`). A form that
      // needs another one stops it.
      if (!engines.lean) engine("lean", true);
      KForm.mount(element, options);
    }
  }
}

// The forms already in the page now (an `async` kform.js, as an included form brings it, may run
// before the page is parsed), and the rest once it is.
mountAll();
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll, { once: true });

export default KForm;
