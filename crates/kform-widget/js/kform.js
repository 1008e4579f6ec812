// kform.js: the widget's entry module. It loads the WebAssembly next to itself, mounts a form
// into every element with a data-kform attribute, and exports KForm for imperative use:
//
//   <script type="module" src="https://relay.example/widget/kform.js"></script>
//   <div data-kform="contact" data-kform-relay="https://relay.example" data-kform-lang="ja"></div>
//
//   import { KForm } from "https://relay.example/widget/kform.js";
//   const form = await KForm.mount(element, { form: "contact", relay: "https://relay.example" });
//   form.unmount();
//
// This file is not served as it is: `cargo xtask build-widget` puts the wasm-bindgen glue (which
// defines `wasm_bindgen`) in front of it and the .wasm's sha384 in place of WASM_INTEGRITY. So
// the served kform.js is all the JavaScript the widget runs, and it fetches the .wasm with that
// integrity: a page that pins kform.js with <script integrity> (see /widget/sri.json) pins the
// whole widget.
//
// Loading is parallel: as soon as this module runs, it starts downloading the .wasm and each
// form's descriptor at once.

const WASM_INTEGRITY = "@KFORM_WASM_INTEGRITY@";
const wasm = fetch(new URL("./kform_widget_bg.wasm", import.meta.url), { integrity: WASM_INTEGRITY });
// wasm_bindgen: the glue in front of this file.
const ready = wasm_bindgen({ module_or_path: wasm }).then(() => wasm_bindgen);
// The relay that serves this file is the default relay: the part of this module's URL before
// /widget/ (it is also served under /widget/<version>/ for long caching).
const here = new URL(import.meta.url);
const defaultRelay = here.href.includes("/widget/")
  ? here.href.slice(0, here.href.lastIndexOf("/widget/") + 1)
  : new URL("..", here).href;
const mounted = new WeakMap();

/** `values` as a query string (a list is a repeated parameter), or null. */
function query(values) {
  if (!values) return null;
  const params = new URLSearchParams();
  for (const [code, value] of Object.entries(values)) {
    for (const item of Array.isArray(value) ? value : [value]) params.append(code, String(item));
  }
  return params.toString();
}

function absolute(relay) {
  return new URL(relay || defaultRelay, document.baseURI).href;
}

/**
 * Starts `GET /v1/forms/{form}` on `relay` (absolute) and resolves to its Response; the
 * widget reads it as if it had fetched it itself (the same URL as `Endpoint::form_url`).
 */
function fetchDescriptor(relay, form) {
  return fetch(`${relay.replace(/\/+$/, "")}/v1/forms/${encodeURIComponent(form)}`);
}

export const KForm = {
  /**
   * Mounts the form `form` from `relay` into `element`; resolves to a handle with unmount().
   * `values` prefills fields by field code (`{ 会社名: "…", 関心: ["A", "B"] }`).
   * `onSubmit(detail)` is called with the relay's answer after each successful submission.
   */
  async mount(element, { form, relay, lang, values, onSubmit } = {}) {
    relay = absolute(relay);
    const descriptor = fetchDescriptor(relay, String(form));
    // A failed download is the widget's to report (kform:error), once it runs.
    descriptor.catch(() => {});
    const { mount } = await ready;
    mounted.get(element)?.unmount();
    const handle = mount(element, String(form), relay, lang ?? null, query(values), descriptor);
    let listener = null;
    if (typeof onSubmit === "function") {
      listener = (event) => onSubmit(event.detail);
      element.addEventListener("kform:submitted", listener);
    }
    const unmount = handle.unmount.bind(handle);
    const wrapped = {
      unmount() {
        if (listener) element.removeEventListener("kform:submitted", listener);
        mounted.delete(element);
        unmount();
      },
    };
    mounted.set(element, wrapped);
    return wrapped;
  },
  /** Mounts a preview from a form descriptor object (never sends). */
  async preview(element, descriptor, { lang } = {}) {
    const { mountDescriptor } = await ready;
    mounted.get(element)?.unmount();
    const handle = mountDescriptor(element, JSON.stringify(descriptor), lang ?? null);
    mounted.set(element, handle);
    return handle;
  },
};

/**
 * Tells the page that the widget itself could not start on `element` (its .wasm unreachable, or
 * refused because it does not match its integrity), as the widget tells of its own failures.
 */
function failed(element, error) {
  console.error("kform: cannot mount", element, error);
  const detail = { stage: "script", reason: String(error) };
  element.dispatchEvent(new CustomEvent("kform:error", { bubbles: true, composed: true, detail }));
}

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
      if (this.isConnected && this.getAttribute("form")) this.mount();
    });
  }

  mount() {
    KForm.mount(this, {
      form: this.getAttribute("form"),
      relay: this.getAttribute("relay") ?? undefined,
      lang: this.getAttribute("lang") ?? undefined,
    }).catch((error) => failed(this, error));
  }
}

if (!customElements.get("kform-form")) customElements.define("kform-form", KFormElement);

/** Mounts every `[data-kform]` element at once, so their descriptors download side by side. */
function mountAll() {
  for (const element of document.querySelectorAll("[data-kform]")) {
    if (mounted.has(element)) continue;
    const { kform, kformRelay, kformLang } = element.dataset;
    KForm.mount(element, { form: kform, relay: kformRelay, lang: kformLang })
      .catch((error) => failed(element, error));
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mountAll, { once: true });
} else {
  mountAll();
}

export default KForm;
