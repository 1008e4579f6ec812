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
// Loading is parallel: as soon as this module runs, it starts downloading the .wasm, the
// wasm-bindgen glue and each form's descriptor at once, and compiles the .wasm while it streams.

// Started before the glue is imported, so the .wasm and the glue download side by side.
const wasm = fetch(new URL("./kform_widget_bg.wasm", import.meta.url));
const ready = import("./kform_widget.js").then(async (glue) => {
  await glue.default({ module_or_path: wasm });
  return glue;
});
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
    }).catch((error) => console.error("kform: cannot mount", this, error));
  }
}

if (!customElements.get("kform-form")) customElements.define("kform-form", KFormElement);

/** Mounts every `[data-kform]` element at once, so their descriptors download side by side. */
function mountAll() {
  for (const element of document.querySelectorAll("[data-kform]")) {
    if (mounted.has(element)) continue;
    const { kform, kformRelay, kformLang } = element.dataset;
    KForm.mount(element, { form: kform, relay: kformRelay, lang: kformLang })
      .catch((error) => console.error("kform: cannot mount", element, error));
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mountAll, { once: true });
} else {
  mountAll();
}

export default KForm;
