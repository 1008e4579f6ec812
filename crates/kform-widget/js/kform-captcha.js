// kform-captcha.js: the captcha challenge of a form (Cloudflare Turnstile, hCaptcha), which
// kform.js loads (pinned by its integrity) only for a form that asks for one, in both of its
// modes: the WebAssembly's and the basic one.
//
// The provider's script, loaded once per page, renders the challenge into an element of the
// host page: the providers look for their elements in the page, not in a shadow root, so a
// form in one shows it through its `<slot name="captcha">` (on the relay's hosted page, whose
// form is in the page, it takes the slot's place). Each answer goes in the form's
// `kform_captcha_token` input.
//
// This file is not served as it is: `cargo xtask build-widget` minifies it into
// pkg/kform-captcha.js and writes its sha256 into kform.js.

// Each provider's script, the global it defines and the option that sets the challenge's
// language. Both take `render(element, {sitekey, callback, "expired-callback",
// "error-callback", …})`, `reset(id)` and `remove(id)`.
const PROVIDERS = {
  turnstile: ["https://challenges.cloudflare.com/turnstile/v0/api.js?render=explicit", "turnstile", "language"],
  hcaptcha: ["https://js.hcaptcha.com/1/api.js?render=explicit&recaptchacompat=off", "hcaptcha", "hl"],
};
const loading = {};

/** The provider's global once its script has run; the page's own tag is used when it has one. */
function load(src, name) {
  loading[name] ??= new Promise((resolve, reject) => {
    if (window[name]) return resolve(window[name]);
    let script = document.querySelector(`script[src="${src}"]`);
    if (!script) {
      script = Object.assign(document.createElement("script"), { src, async: true });
      document.head.append(script);
    }
    script.addEventListener("load", () =>
      window[name] ? resolve(window[name]) : reject(new Error(`the captcha script ${src} defined no ${name}`)));
    script.addEventListener("error", () => reject(new Error(`the captcha script ${src} did not load`)));
  }).catch((error) => {
    delete loading[name];
    throw error;
  });
  return loading[name];
}

// Each form's challenge (a promise of it) and its answer, by kform.js's mount of the form.
const shown = new WeakMap();
const answers = new WeakMap();

/**
 * For kform.js's `mount` of a form that asks for a captcha, each time its form was shown
 * (`slot`, the form's `<slot name="captcha">`) or something happened to it (`after`: a
 * basic-mode post's outcome, or "gone" when it was unmounted): adds the answer's input
 * (`kform_captcha_token`) to the form, shows the challenge the first time and asks for a new
 * answer after a send (one counts once). The WebAssembly reads the input like any other and
 * tells it when a send used the answer up (`kform-captcha-reset`).
 */
export function attach(mount, slot, after) {
  if (after === "gone" || after === "sent") {
    shown.get(mount)?.then((challenge) => challenge.remove());
    shown.delete(mount);
    return;
  }
  const answer = (token) => {
    answers.set(mount, token ?? "");
    const input = mount.root.querySelector("input[name=kform_captcha_token]");
    if (!input) return;
    input.value = token ?? "";
    input.dispatchEvent(new Event("input", { bubbles: true }));
  };
  if (slot) {
    const input = Object.assign(document.createElement("input"), { type: "hidden", name: "kform_captcha_token", value: answers.get(mount) ?? "" });
    input.addEventListener("kform-captcha-reset", () => attach(mount, null, "refused"));
    slot.after(input);
    // What the form says to a visitor without a script.
    const help = mount.root.querySelector(".kform-script-only");
    if (help) help.hidden = true;
    if (!shown.has(mount)) {
      const challenge = render(mount.element, slot, answer);
      shown.set(mount, challenge);
      challenge.catch(() => shown.delete(mount));
      return challenge;
    }
  }
  if (after && after !== "rows") shown.get(mount)?.then((challenge) => challenge.reset());
}

/**
 * Shows the challenge the form's `slot` describes (its data attributes: the provider, the site
 * key and the form's language) in an element of the page: added to `host` (the form's host
 * element, whose shadow root slots it in), or in the slot's place for a form in the page.
 * `answer(token)` gets each answer, and `answer()` when one expires or fails or a new one is
 * asked for. Resolves to `{reset(), remove()}`.
 */
async function render(host, slot, answer) {
  const { kformCaptcha: provider, kformSiteKey: sitekey, kformLang: lang } = slot.dataset;
  const [src, name, language] = PROVIDERS[provider] ?? [];
  if (!src) throw new Error(`unknown captcha provider "${provider}"`);
  const api = await load(src, name);
  const element = Object.assign(document.createElement("div"), { slot: "captcha", className: "kform-captcha" });
  if (slot.getRootNode() === host.shadowRoot) host.append(element);
  else slot.replaceWith(element);
  const id = api.render(element, {
    sitekey,
    callback: (token) => answer(token),
    "expired-callback": () => answer(),
    "error-callback": () => answer(),
    [language]: lang,
  });
  return {
    reset() {
      api.reset(id);
      answer();
    },
    remove() {
      api.remove(id);
      element.remove();
    },
  };
}
