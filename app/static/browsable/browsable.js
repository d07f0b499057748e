// The browsable API's behaviour: log in once per tab, then send every request with the token,
// renewing it with the refresh token before it expires (and once more if a request finds it
// expired), so that a session on the page lasts as long as its refresh token.
// Everything from the data is put on the page as text (textContent), never as HTML.
"use strict";

(function () {
  const TOKEN_KEY = "bucketlist-api-token";
  const REFRESH_KEY = "bucketlist-api-refresh-token";
  const EXPIRES_KEY = "bucketlist-api-token-expires";
  const EMAIL_KEY = "bucketlist-api-email";
  const page = JSON.parse(document.getElementById("page-data").textContent);
  const session = document.getElementById("session").dataset;
  // A mailed reset link carries its token in the fragment (`#token=…`), which the browser never
  // sends to a server; a link mailed before that carried it in the query. Either way the token is
  // taken from the address bar, which then forgets it, and sent only in a request's body.
  const mailedToken = new URLSearchParams(location.hash.slice(1)).get("token")
    || new URLSearchParams(location.search).get("token");
  if (mailedToken) {
    const here = new URL(location.href);
    here.hash = "";
    here.searchParams.delete("token");
    history.replaceState(null, "", here.pathname + here.search);
  }
  // The page calls the URL the browser shows, as the browser encoded it: a path rebuilt from the
  // server's decoded one (`/%5Cevil.example/x` is `/\evil.example/x`) could name another host.
  const requestUrl = location.pathname + location.search;

  // A URL of this page's own origin, or null: the token is never sent, nor a link made, elsewhere.
  function ownUrl(value) {
    let url;
    try { url = new URL(value, location.href); } catch (error) { return null; }
    return url.origin === location.origin ? url : null;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  // Keep a session's tokens (from a login, a refresh or a password change) for this tab.
  let renewTimer = null;
  function keepTokens(tokens) {
    sessionStorage.setItem(TOKEN_KEY, tokens.access_token);
    sessionStorage.setItem(REFRESH_KEY, tokens.refresh_token);
    sessionStorage.setItem(EXPIRES_KEY, String(Date.now() + tokens.expires_in * 1000));
    scheduleRenewal();
  }

  // Renew when three quarters of the access token's remaining life have passed (at most a
  // minute before it expires).
  function scheduleRenewal() {
    clearTimeout(renewTimer);
    const left = Number(sessionStorage.getItem(EXPIRES_KEY)) - Date.now();
    if (left > 0) renewTimer = setTimeout(renew, left - Math.min(60000, left / 4));
  }

  function forgetTokens() {
    clearTimeout(renewTimer);
    [TOKEN_KEY, REFRESH_KEY, EXPIRES_KEY, EMAIL_KEY].forEach(function (key) {
      sessionStorage.removeItem(key);
    });
  }

  // One renewal at a time: a refresh token works once, and a second use would end the session.
  let renewing = null;
  function renew() {
    if (renewing) return renewing;
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!refreshToken) return Promise.resolve(false);
    renewing = fetch(session.refreshUrl, {
      method: "POST",
      headers: { Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    }).then(async function (response) {
      if (response.ok) {
        keepTokens(await response.json());
        return true;
      }
      if (response.status === 401) {  // the session ended: logged out, password changed, ...
        forgetTokens();
        showSession();
      }
      return false;
    }).catch(function () {
      return false;
    }).finally(function () {
      renewing = null;
    });
    return renewing;
  }

  function expired() {
    const expires = Number(sessionStorage.getItem(EXPIRES_KEY));
    return Boolean(expires) && Date.now() >= expires;
  }

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Only the API's own URLs become links: a stored name such as "https://elsewhere.example" is
  // data, shown as text.
  function isLink(value) {
    if (typeof value !== "string") return false;
    if (!/^https?:\/\//.test(value) && !value.startsWith("/")) return false;
    return ownUrl(value) !== null;
  }

  // Pretty-printed JSON as DOM nodes; URLs, and the ids of a collection's members, are links.
  // `idBase` is the URL an id in this object is appended to (a collection's path), if any.
  function renderJson(value, indent, key, idBase) {
    const fragment = document.createDocumentFragment();
    const pad = "  ".repeat(indent);
    if (Array.isArray(value)) {
      if (value.length === 0) { fragment.append("[]"); return fragment; }
      fragment.append("[\n");
      const path = location.pathname;
      const memberBase = key === "items" ? path.replace(/\/$/, "") + "/items/"
        : (indent === 0 && path.endsWith("/") ? path : null);
      value.forEach(function (item, index) {
        fragment.append(pad + "  ", renderJson(item, indent + 1, null, memberBase));
        fragment.append(index < value.length - 1 ? ",\n" : "\n");
      });
      fragment.append(pad + "]");
    } else if (value !== null && typeof value === "object") {
      const keys = Object.keys(value);
      if (keys.length === 0) { fragment.append("{}"); return fragment; }
      fragment.append("{\n");
      keys.forEach(function (name, index) {
        fragment.append(pad + "  ", element("span", "json-key", JSON.stringify(name)), ": ");
        fragment.append(renderJson(value[name], indent + 1, name, idBase));
        fragment.append(index < keys.length - 1 ? ",\n" : "\n");
      });
      fragment.append(pad + "}");
    } else if (isLink(value)) {
      const link = element("a", "json-string", JSON.stringify(value));
      link.href = value;
      fragment.append(link);
    } else if (key === "id" && Number.isInteger(value) && idBase) {
      const link = element("a", "json-number", String(value));
      link.href = idBase + value;
      fragment.append(link);
    } else {
      const kind = value === null ? "null" : typeof value;
      fragment.append(element("span", "json-" + kind, JSON.stringify(value)));
    }
    return fragment;
  }

  // A list page's Link header (RFC 8288) as links to the other pages of the list.
  const PAGE_NAMES = { first: "first", prev: "previous", next: "next", last: "last" };

  function showPaging(headers) {
    const nav = document.getElementById("paging");
    nav.replaceChildren();
    headers.forEach(function (pair) {
      if (pair[0].toLowerCase() !== "link") return;
      pair[1].split(",").forEach(function (part) {
        const match = /^\s*<([^>]*)>\s*;\s*rel="?(first|prev|next|last)"?\s*$/.exec(part);
        const url = match && ownUrl(match[1]);
        if (!url) return;
        const link = element("a", "page-link", PAGE_NAMES[match[2]]);
        link.href = url.pathname + url.search;
        link.rel = match[2];
        nav.append(link);
      });
    });
    nav.hidden = nav.children.length === 0;
  }

  function showResponse(method, url, status, statusText, headers, body) {
    document.getElementById("response").hidden = false;
    document.getElementById("request-line").textContent = method + " " + url;
    const head = document.getElementById("response-head");
    head.replaceChildren(element("b", null, "HTTP " + status + " " + statusText), "\n");
    headers.forEach(function (pair) {
      head.append(element("span", "header-name", pair[0] + ":"), " " + pair[1] + "\n");
    });
    document.getElementById("response-body").replaceChildren(renderJson(body, 0, null, null));
    showPaging(headers);
    prefillForms(body);
  }

  function prefillForms(body) {
    if (body === null || typeof body !== "object" || Array.isArray(body)) return;
    document.querySelectorAll(
      ".method-form[data-method=PUT] input[data-field], .method-form[data-method=PATCH] input[type=checkbox]"
    ).forEach(function (input) {
      const value = body[input.dataset.field];
      if (value === undefined || value === null) return;
      if (input.type === "checkbox") input.checked = Boolean(value);
      else input.value = String(value);
    });
  }

  // The ETag of this page's resource as last seen: the edit forms send it as If-Match, so that
  // a change someone else made since is a 412 here rather than silently overwritten.
  let pageEtag = null;

  async function call(method, url, contentType, payload) {
    if (ownUrl(url) === null) throw new Error("Refusing to call another origin: " + url);
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    const edit = url === requestUrl && ["PUT", "PATCH", "DELETE"].includes(method);
    if (edit && pageEtag) headers["If-Match"] = pageEtag;
    let body;
    if (payload !== undefined) {
      headers["Content-Type"] = contentType;
      body = contentType === "application/json"
        ? JSON.stringify(payload)
        : new URLSearchParams(payload).toString();
    }
    return fetch(url, { method: method, headers: headers, body: body });
  }

  async function send(method, url, contentType, payload) {
    if (token() && expired()) await renew();
    let response = await call(method, url, contentType, payload);
    if (response.status === 401 && sessionStorage.getItem(REFRESH_KEY) && await renew()) {
      response = await call(method, url, contentType, payload);  // once, with the new token
    }
    if (url === requestUrl && response.ok) pageEtag = response.headers.get("ETag");
    const text = await response.text();
    let data;
    try { data = text ? JSON.parse(text) : null; } catch (error) { data = text; }
    if (response.ok && data && data.access_token && data.refresh_token) {
      keepTokens(data);  // a password change starts a new session
    }
    const pairs = [];
    response.headers.forEach(function (value, name) { pairs.push([name, value]); });
    showResponse(method, url, response.status, response.statusText, pairs, data);
    return { status: response.status, body: data };
  }

  function showSession() {
    const loggedIn = Boolean(token());
    document.getElementById("login-form").hidden = loggedIn;
    document.getElementById("logout").hidden = !loggedIn;
    const user = document.getElementById("session-user");
    user.hidden = !loggedIn;
    user.textContent = loggedIn ? "Logged in as " + (sessionStorage.getItem(EMAIL_KEY) || "") : "";
  }

  // Who is logged in, as the server says (GET /auth/me), shown in the header.
  async function whoAmI() {
    if (!token()) return;
    if (expired()) await renew();
    const response = await fetch(session.meUrl, {
      headers: { Accept: "application/json", Authorization: "Bearer " + token() },
    });
    if (response.ok) sessionStorage.setItem(EMAIL_KEY, (await response.json()).email);
    showSession();
  }

  document.getElementById("login-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const form = event.target;
    const credentials = { email: form.email.value, password: form.password.value };
    const result = await send("POST", form.getAttribute("action"), "application/json", credentials);
    if (result.status === 200 && result.body && result.body.access_token) {
      form.reset();
      await whoAmI();
      await showCurrent();
    }
  });

  document.getElementById("logout").addEventListener("click", async function (event) {
    // End the session on the server, then forget its tokens here whatever the answer was.
    try {
      await send("POST", event.currentTarget.dataset.action);
    } finally {
      forgetTokens();
    }
    showSession();
    await showCurrent();
  });

  // The resource this page shows, read again (a page of a form-only route has none to read).
  async function showCurrent() {
    if (!page.form_only) await send("GET", requestUrl);
  }

  document.getElementById("get-form").addEventListener("submit", function (event) {
    event.preventDefault();
    send("GET", requestUrl);
  });

  document.querySelectorAll(".method-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      const method = form.dataset.method;
      // The heading names what was sent; the request line and the answer follow it.
      document.getElementById("name").textContent = form.dataset.name;
      document.getElementById("description").textContent = form.dataset.summary;
      const inputs = form.querySelectorAll("input[data-field]");
      if (inputs.length === 0) { send(method, requestUrl); return; }
      const contentType = form.elements["content-type"].value;
      const payload = {};
      inputs.forEach(function (input) {
        if (input.type === "checkbox") {
          // JSON takes a boolean; form data the text "true" or "false".
          payload[input.dataset.field] = contentType === "application/json"
            ? input.checked : String(input.checked);
        } else if (method !== "PATCH" || input.value !== "") {
          payload[input.dataset.field] = input.value;  // PATCH sends only what was filled in
        }
      });
      send(method, requestUrl, contentType, payload).then(function (result) {
        const deleted = method === "DELETE" && requestUrl === session.meUrl;
        if (deleted && result.status === 200) { forgetTokens(); showSession(); }
      });
    });
  });

  // A reset link fills the form's token in.
  const tokenInput = document.querySelector(".method-form input[data-field=token]");
  if (mailedToken && tokenInput) tokenInput.value = mailedToken;

  showSession();
  if (token()) {
    scheduleRenewal();
    whoAmI();
  }
  // A form-only route's page shows its answer once its form is sent; any other shows the resource.
  if (!page.form_only && token() && page.method === "GET") {
    send("GET", requestUrl);
  } else if (!page.form_only) {
    showResponse(page.method, requestUrl, page.status, page.status_text.replace(/^\d+ /, ""),
      page.headers, page.body);
  }
})();
