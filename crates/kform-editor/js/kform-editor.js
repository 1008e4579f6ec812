// kform-editor.js: the form editor's entry module, for a CMS's admin screen. It loads the
// editor's WebAssembly next to itself and, for the live preview, the widget's kform.js from
// the same folder (the real widget, not a copy). Marketing pages never load this file.
//
//   <script type="module" src="https://relay.example/widget/kform-editor.js"></script>
//   <kform-editor relay="https://relay.example" token="…" form="contact" lang="ja"></kform-editor>
//
//   import { KFormEditor } from "https://relay.example/widget/kform-editor.js";
//   const editor = await KFormEditor.mount(element, { relay, token, form, lang, onSave });
//   editor.unmount();
//
// The token is an editor token from the relay's `POST /v1/admin/editor-tokens`, minted by the
// CMS's server with its admin key; the browser never holds the admin key.

const wasm = fetch(new URL("./kform_editor_bg.wasm", import.meta.url));
const ready = import("./kform_editor.js").then(async (glue) => {
  await glue.default({ module_or_path: wasm });
  return glue;
});
const widget = new URL("./kform.js", import.meta.url).href;
const here = new URL(import.meta.url);
const defaultRelay = here.href.includes("/widget/")
  ? here.href.slice(0, here.href.lastIndexOf("/widget/") + 1)
  : new URL("..", here).href;
const mounted = new WeakMap();

/** The delivery view's own bundle, loaded the first time the view is opened. */
let deliveryBundle;
function loadDelivery() {
  deliveryBundle ??= import("./kform_delivery.js").then(async (glue) => {
    await glue.default({ module_or_path: new URL("./kform_delivery_bg.wasm", import.meta.url) });
    return glue;
  });
  return deliveryBundle;
}

/** Mounts the delivery view (or, with `view` "mail", the mail view) into `target`; answers a
 * function that unmounts it. */
function delivery(target, relay, token, form, lang, view, values) {
  const handle = loadDelivery().then((glue) => view === "mail"
    ? glue.mount_mail(target, relay, token, form, lang, values)
    : glue.mount(target, relay, token, form, lang));
  handle.catch((error) => console.error("kform-editor: the delivery view", error));
  return () => {
    handle.then((view) => view.unmount(), () => {});
  };
}

/** The latest preview asked for each element: an older answer arriving late is not shown. */
const previews = new WeakMap();

/**
 * Renders the preview as a visitor gets the form: the relay renders the draft's markup
 * (`POST /v1/admin/preview`) and the widget's own code takes it over (loaded on first use).
 */
async function preview(element, descriptor, lang, relay, token) {
  const asked = {};
  previews.set(element, asked);
  const [{ KForm }, response] = await Promise.all([
    import(widget),
    fetch(`${relay.replace(/\/+$/, "")}/v1/admin/preview?lang=${encodeURIComponent(lang)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: descriptor,
    }),
  ]);
  if (!response.ok) throw new Error(`the relay answered ${response.status}: ${await response.text()}`);
  const markup = await response.text();
  if (previews.get(element) === asked) await KForm.preview(element, markup, { lang });
}

export const KFormEditor = {
  /**
   * Mounts the editor into `element`; resolves to a handle with unmount(). `form` opens a saved
   * form; without it the editor creates one. `onSave(detail)` is called after each save with
   * `{form, settings}` (the `kform-editor:saved` event's detail).
   */
  async mount(element, { relay, token, form, lang, onSave } = {}) {
    const { mount } = await ready;
    mounted.get(element)?.unmount();
    const base = new URL(relay || defaultRelay, document.baseURI).href;
    const show = (target, descriptor, previewLang) => {
      preview(target, descriptor, previewLang, base, String(token ?? ""))
        .catch((error) => console.error("kform-editor: preview", error));
    };
    // Leaving the page with changes not saved asks the browser's "leave site?" first.
    let dirty = false;
    const onChange = (event) => { dirty = Boolean(event.detail?.dirty); };
    const onLeave = (event) => {
      if (!dirty) return;
      event.preventDefault();
      event.returnValue = "";
    };
    element.addEventListener("kform-editor:change", onChange);
    window.addEventListener("beforeunload", onLeave);
    const handle = mount(element, base, String(token ?? ""), form ?? null, lang ?? null, show, delivery);
    let listener = null;
    if (typeof onSave === "function") {
      listener = (event) => onSave(event.detail);
      element.addEventListener("kform-editor:saved", listener);
    }
    const unmount = handle.unmount.bind(handle);
    const wrapped = {
      unmount() {
        if (listener) element.removeEventListener("kform-editor:saved", listener);
        element.removeEventListener("kform-editor:change", onChange);
        window.removeEventListener("beforeunload", onLeave);
        mounted.delete(element);
        unmount();
      },
    };
    mounted.set(element, wrapped);
    return wrapped;
  },
};

/** `<kform-editor relay="…" token="…" form="…" lang="…">`: the same editor as a custom element. */
class KFormEditorElement extends HTMLElement {
  static get observedAttributes() {
    return ["relay", "token", "form", "lang"];
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

  /** Mounts once per turn however many attributes changed, and only with a token. */
  render() {
    if (this.pending) return;
    this.pending = true;
    queueMicrotask(() => {
      this.pending = false;
      if (this.isConnected && this.getAttribute("token")) this.mount();
    });
  }

  mount() {
    KFormEditor.mount(this, {
      relay: this.getAttribute("relay") ?? undefined,
      token: this.getAttribute("token") ?? "",
      form: this.getAttribute("form") ?? undefined,
      lang: this.getAttribute("lang") ?? undefined,
    }).catch((error) => console.error("kform-editor: cannot mount", this, error));
  }
}

if (!customElements.get("kform-editor")) customElements.define("kform-editor", KFormEditorElement);

export default KFormEditor;
