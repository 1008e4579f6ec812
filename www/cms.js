// The mock CMS's own script: gets an editor token from its server side, then hands it to the
// <kform-editor> element. A `?form=ID` address opens that form; `?token=…` uses that token as is.
const editor = document.getElementById("editor");
const status = document.getElementById("cms-status");
const params = new URLSearchParams(location.search);
const form = params.get("form");

async function editorToken() {
  if (params.has("token")) return params.get("token");
  const response = await fetch("/demo/editor-token", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(form ? { form } : {}),
  });
  if (!response.ok) throw new Error(`the CMS could not get an editor token (${response.status})`);
  return (await response.json()).token;
}

editor.addEventListener("kform-editor:saved", (event) => {
  status.textContent = `CMS: フォーム「${event.detail.form}」が保存されました。`;
  // A new form's page becomes that form's, so a reload opens it rather than a blank start.
  if (!form) history.replaceState(null, "", `?form=${encodeURIComponent(event.detail.form)}`);
});

try {
  const token = await editorToken();
  if (form) editor.setAttribute("form", form);
  editor.setAttribute("relay", location.origin);
  editor.setAttribute("token", token);
} catch (error) {
  status.textContent = String(error);
}
