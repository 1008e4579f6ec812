// kform.js: the widget's entry module. It loads the WebAssembly next to itself, mounts a form
// into every element with a data-kform attribute, and exports KForm for imperative use:
//
//   <script type="module" src="https://relay.example/widget/kform.js"></script>
//   <div data-kform="contact" data-kform-relay="https://relay.example" data-kform-lang="ja"></div>
//
//   import { KForm } from "https://relay.example/widget/kform.js";
//   const form = await KForm.mount(element, { form: "contact", relay: "https://relay.example" });
//   form.unmount();
import init, { mount, mountDescriptor } from "./kform_widget.js";

const ready = init({ module_or_path: new URL("./kform_widget_bg.wasm", import.meta.url) });
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

export const KForm = {
  /**
   * Mounts the form `form` from `relay` into `element`; resolves to a handle with unmount().
   * `values` prefills fields by field code (`{ 会社名: "…", 関心: ["A", "B"] }`).
   * `onSubmit(detail)` is called with the relay's answer after each successful submission.
   */
  async mount(element, { form, relay, lang, values, onSubmit } = {}) {
    await ready;
    mounted.get(element)?.unmount();
    const handle = mount(element, String(form), absolute(relay), lang ?? null, query(values));
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
    await ready;
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

  render() {
    const form = this.getAttribute("form");
    if (!form) return;
    KForm.mount(this, {
      form,
      relay: this.getAttribute("relay") ?? undefined,
      lang: this.getAttribute("lang") ?? undefined,
    }).catch((error) => console.error("kform: cannot mount", this, error));
  }
}

if (!customElements.get("kform-form")) customElements.define("kform-form", KFormElement);

async function mountAll() {
  for (const element of document.querySelectorAll("[data-kform]")) {
    if (mounted.has(element)) continue;
    const { kform, kformRelay, kformLang } = element.dataset;
    try {
      await KForm.mount(element, { form: kform, relay: kformRelay, lang: kformLang });
    } catch (error) {
      console.error("kform: cannot mount", element, error);
    }
  }
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", mountAll, { once: true });
} else {
  mountAll();
}

export default KForm;
