/*
 * window.Telegram.WebApp for Mini Apps opened by the Switchboard sandbox web chat.
 *
 * A Mini App includes Telegram's script by URL:
 *   <script src="https://telegram.org/js/telegram-web-app.js"></script>
 * To run it offline against the sandbox, point that tag at the sandbox's copy instead:
 *   <script src="http://localhost:8765/webchat/telegram-web-app.js"></script>
 * Both speak the same protocol as Telegram Web: launch parameters (tgWebAppData, …) in the URL
 * fragment, then JSON {eventType, eventData} messages over postMessage with the parent window.
 * This is a classic script (not a module) so it defines Telegram.WebApp before the app's code runs.
 */
(function () {
  "use strict";

  function parseParams(text) {
    var out = {};
    new URLSearchParams(text).forEach(function (value, key) { out[key] = value; });
    return out;
  }

  // Launch parameters: the fragment, remembered for the session since apps may change it.
  var initParams = {};
  try {
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("?") >= 0) hash = hash.slice(hash.indexOf("?") + 1);
    initParams = parseParams(hash);
    if (initParams.tgWebAppData) sessionStorage.setItem("__telegram__initParams", JSON.stringify(initParams));
    else initParams = JSON.parse(sessionStorage.getItem("__telegram__initParams") || "{}");
  } catch (e) { /* storage may be blocked; the fragment is enough */ }

  var isIframe = window.parent != null && window.parent !== window;
  var handlers = {};

  function postEvent(eventType, eventData) {
    if (!isIframe) {
      console.info("[Telegram.WebView] > postEvent", eventType, eventData || {});
      return;
    }
    window.parent.postMessage(JSON.stringify({ eventType: eventType, eventData: eventData || {} }), "*");
  }

  function receiveEvent(eventType, eventData) {
    (handlers[eventType] || []).slice().forEach(function (fn) {
      try { fn(eventType, eventData); } catch (e) { console.error(e); }
    });
  }

  function onWebViewEvent(eventType, fn) { (handlers[eventType] = handlers[eventType] || []).push(fn); }
  function offWebViewEvent(eventType, fn) {
    handlers[eventType] = (handlers[eventType] || []).filter(function (f) { return f !== fn; });
  }

  if (isIframe) {
    window.addEventListener("message", function (event) {
      if (event.source !== window.parent) return;
      var parsed;
      try { parsed = typeof event.data === "string" ? JSON.parse(event.data) : event.data; } catch (e) { return; }
      if (parsed && parsed.eventType) receiveEvent(parsed.eventType, parsed.eventData || {});
    });
  }

  // --- WebApp -------------------------------------------------------------------------------
  var WebApp = {};
  var appHandlers = {};
  var initData = initParams.tgWebAppData || "";
  var initDataUnsafe = {};
  var raw = parseParams(initData);
  // As Telegram's script does: JSON-looking values (user, receiver, chat) are parsed, the rest
  // (auth_date included) stay strings.
  Object.keys(raw).forEach(function (key) {
    var value = raw[key];
    if (/^\{.*\}$|^\[.*\]$/.test(value)) {
      try { value = JSON.parse(value); } catch (e) { /* keep the string */ }
    }
    initDataUnsafe[key] = value;
  });

  var themeParams = {};
  try { themeParams = JSON.parse(initParams.tgWebAppThemeParams || "{}"); } catch (e) { /* none */ }
  var viewportHeight = window.innerHeight;
  var isExpanded = true;
  var closingConfirmation = false;
  var version = initParams.tgWebAppVersion || "8.0";

  function emitApp(name, arg) {
    (appHandlers[name] || []).slice().forEach(function (fn) {
      try { fn.call(WebApp, arg); } catch (e) { console.error(e); }
    });
  }

  function css(name, value) { document.documentElement.style.setProperty("--tg-" + name, value); }

  function applyTheme(params) {
    themeParams = params || {};
    Object.keys(themeParams).forEach(function (key) {
      css("theme-" + key.replace(/_/g, "-"), themeParams[key]);
    });
    css("color-scheme", WebApp.colorScheme);
  }

  function colorScheme() {
    var bg = (themeParams.bg_color || "#ffffff").replace("#", "");
    var n = parseInt(bg.length === 3 ? bg.replace(/(.)/g, "$1$1") : bg, 16);
    var luma = 0.2126 * ((n >> 16) & 255) + 0.7152 * ((n >> 8) & 255) + 0.0722 * (n & 255);
    return luma < 120 ? "dark" : "light";
  }

  function versionAtLeast(v) {
    var a = version.split(".").map(Number);
    var b = String(v).split(".").map(Number);
    for (var i = 0; i < Math.max(a.length, b.length); i++) {
      if ((a[i] || 0) !== (b[i] || 0)) return (a[i] || 0) > (b[i] || 0);
    }
    return true;
  }

  function bottomButton(kind, defaults) {
    var state = Object.assign({ text: "", color: themeParams.button_color || "#3390ec",
      textColor: themeParams.button_text_color || "#ffffff", isVisible: false, isActive: true,
      isProgressVisible: false, hasShineEffect: false }, defaults);
    var clickEvent = kind === "main" ? "mainButtonClicked" : "secondaryButtonClicked";
    function sync() {
      postEvent("web_app_setup_" + kind + "_button", {
        is_visible: state.isVisible && !!state.text, is_active: state.isActive, text: state.text,
        color: state.color, text_color: state.textColor, is_progress_visible: state.isProgressVisible,
        has_shine_effect: state.hasShineEffect, position: state.position,
      });
    }
    var button = {
      setText: function (text) { state.text = String(text); sync(); return button; },
      onClick: function (fn) { WebApp.onEvent(clickEvent, fn); return button; },
      offClick: function (fn) { WebApp.offEvent(clickEvent, fn); return button; },
      show: function () { state.isVisible = true; sync(); return button; },
      hide: function () { state.isVisible = false; sync(); return button; },
      enable: function () { state.isActive = true; sync(); return button; },
      disable: function () { state.isActive = false; sync(); return button; },
      showProgress: function () { state.isProgressVisible = true; sync(); return button; },
      hideProgress: function () { state.isProgressVisible = false; sync(); return button; },
      setParams: function (p) {
        if ("text" in p) state.text = String(p.text);
        if ("color" in p) state.color = p.color;
        if ("text_color" in p) state.textColor = p.text_color;
        if ("is_visible" in p) state.isVisible = !!p.is_visible;
        if ("is_active" in p) state.isActive = !!p.is_active;
        if ("has_shine_effect" in p) state.hasShineEffect = !!p.has_shine_effect;
        if ("position" in p) state.position = p.position;
        sync();
        return button;
      },
    };
    ["text", "color", "textColor", "isVisible", "isActive", "isProgressVisible", "hasShineEffect", "position"]
      .forEach(function (key) {
        Object.defineProperty(button, key, {
          enumerable: true,
          get: function () { return state[key]; },
          set: function (v) { var p = {}; p[key.replace(/[A-Z]/g, function (c) { return "_" + c.toLowerCase(); })] = v; button.setParams(p); },
        });
      });
    return button;
  }

  function simpleButton(kind, clickEvent) {
    var visible = false;
    var button = {
      onClick: function (fn) { WebApp.onEvent(clickEvent, fn); return button; },
      offClick: function (fn) { WebApp.offEvent(clickEvent, fn); return button; },
      show: function () { visible = true; postEvent("web_app_setup_" + kind + "_button", { is_visible: true }); return button; },
      hide: function () { visible = false; postEvent("web_app_setup_" + kind + "_button", { is_visible: false }); return button; },
    };
    Object.defineProperty(button, "isVisible", { get: function () { return visible; }, set: function (v) { v ? button.show() : button.hide(); } });
    return button;
  }

  // Requests answered by a matching event carrying req_id.
  var requests = {};
  var nextRequest = 1;
  function invoke(method, params, callback) {
    var reqId = "r" + nextRequest++;
    requests[reqId] = callback || function () {};
    postEvent("web_app_invoke_custom_method", { req_id: reqId, method: method, params: params });
  }
  onWebViewEvent("custom_method_invoked", function (_, d) {
    var cb = requests[d.req_id];
    delete requests[d.req_id];
    if (cb) cb(d.error ? d.error : null, d.error ? undefined : d.result);
  });

  var clipboardCallbacks = {};
  var popupCallback = null;

  Object.assign(WebApp, {
    initData: initData,
    initDataUnsafe: initDataUnsafe,
    version: version,
    platform: initParams.tgWebAppPlatform || "unknown",
    isVersionAtLeast: versionAtLeast,
    ready: function () { postEvent("web_app_ready"); },
    expand: function () { postEvent("web_app_expand"); },
    close: function () { postEvent("web_app_close", {}); },
    sendData: function (data) {
      var text = String(data == null ? "" : data);
      if (!text.length || text.length > 4096) throw new Error("WebAppDataInvalid");
      postEvent("web_app_data_send", { data: text });
    },
    onEvent: function (name, fn) { (appHandlers[name] = appHandlers[name] || []).push(fn); },
    offEvent: function (name, fn) {
      appHandlers[name] = (appHandlers[name] || []).filter(function (f) { return f !== fn; });
    },
    openLink: function (url) { postEvent("web_app_open_link", { url: url }); },
    openTelegramLink: function (url) {
      var u = new URL(url, "https://t.me");
      postEvent("web_app_open_tg_link", { path_full: u.pathname + u.search });
    },
    openInvoice: function (url, cb) {
      var slug = String(url).split("/").pop().replace(/^\$/, "");
      onWebViewEvent("invoice_closed", function once(_, d) {
        if (d.slug !== slug) return;
        offWebViewEvent("invoice_closed", once);
        if (cb) cb(d.status);
        emitApp("invoiceClosed", { url: url, status: d.status });
      });
      postEvent("web_app_open_invoice", { slug: slug });
    },
    switchInlineQuery: function (query, chatTypes) {
      postEvent("web_app_switch_inline_query", { query: query || "", chat_types: chatTypes || [] });
    },
    showPopup: function (params, cb) {
      popupCallback = cb || null;
      postEvent("web_app_open_popup", {
        title: params.title || "", message: params.message,
        buttons: params.buttons && params.buttons.length ? params.buttons : [{ type: "close" }],
      });
    },
    showAlert: function (message, cb) {
      WebApp.showPopup({ message: message }, function () { if (cb) cb(); });
    },
    showConfirm: function (message, cb) {
      WebApp.showPopup({ message: message, buttons: [{ type: "ok", id: "ok" }, { type: "cancel" }] },
        function (id) { if (cb) cb(id === "ok"); });
    },
    readTextFromClipboard: function (cb) {
      var reqId = "c" + nextRequest++;
      clipboardCallbacks[reqId] = cb;
      postEvent("web_app_read_text_from_clipboard", { req_id: reqId });
    },
    requestWriteAccess: function (cb) {
      onWebViewEvent("write_access_requested", function once(_, d) {
        offWebViewEvent("write_access_requested", once);
        if (cb) cb(d.status === "allowed");
        emitApp("writeAccessRequested", { status: d.status });
      });
      postEvent("web_app_request_write_access");
    },
    requestContact: function (cb) {
      onWebViewEvent("phone_requested", function once(_, d) {
        offWebViewEvent("phone_requested", once);
        if (cb) cb(d.status === "sent");
        emitApp("contactRequested", { status: d.status });
      });
      postEvent("web_app_request_phone");
    },
    setHeaderColor: function (color) { WebApp.headerColor = color; postEvent("web_app_set_header_color", { color: color }); },
    setBackgroundColor: function (color) { WebApp.backgroundColor = color; postEvent("web_app_set_background_color", { color: color }); },
    setBottomBarColor: function (color) { WebApp.bottomBarColor = color; postEvent("web_app_set_bottom_bar_color", { color: color }); },
    enableClosingConfirmation: function () { closingConfirmation = true; postEvent("web_app_setup_closing_behavior", { need_confirmation: true }); },
    disableClosingConfirmation: function () { closingConfirmation = false; postEvent("web_app_setup_closing_behavior", { need_confirmation: false }); },
    HapticFeedback: {
      impactOccurred: function (style) { postEvent("web_app_trigger_haptic_feedback", { type: "impact", impact_style: style }); return this; },
      notificationOccurred: function (type) { postEvent("web_app_trigger_haptic_feedback", { type: "notification", notification_type: type }); return this; },
      selectionChanged: function () { postEvent("web_app_trigger_haptic_feedback", { type: "selection_change" }); return this; },
    },
    CloudStorage: {
      setItem: function (key, value, cb) { invoke("saveStorageValue", { key: key, value: String(value) }, cb); },
      getItem: function (key, cb) { invoke("getStorageValues", { keys: [key] }, function (err, r) { cb && cb(err, r ? r[key] : undefined); }); },
      getItems: function (keys, cb) { invoke("getStorageValues", { keys: keys }, cb); },
      removeItem: function (key, cb) { invoke("deleteStorageValues", { keys: [key] }, cb); },
      removeItems: function (keys, cb) { invoke("deleteStorageValues", { keys: keys }, cb); },
      getKeys: function (cb) { invoke("getStorageKeys", {}, cb); },
    },
  });
  WebApp.MainButton = bottomButton("main", {});
  WebApp.SecondaryButton = bottomButton("secondary", { position: "left" });
  WebApp.BackButton = simpleButton("back", "backButtonClicked");
  WebApp.SettingsButton = simpleButton("settings", "settingsButtonClicked");

  Object.defineProperties(WebApp, {
    themeParams: { enumerable: true, get: function () { return Object.assign({}, themeParams); } },
    colorScheme: { enumerable: true, get: colorScheme },
    isExpanded: { enumerable: true, get: function () { return isExpanded; } },
    viewportHeight: { enumerable: true, get: function () { return viewportHeight; } },
    viewportStableHeight: { enumerable: true, get: function () { return viewportHeight; } },
    isClosingConfirmationEnabled: { enumerable: true, get: function () { return closingConfirmation; } },
  });

  // --- events from the web chat -------------------------------------------------------------
  onWebViewEvent("theme_changed", function (_, d) { applyTheme(d.theme_params); emitApp("themeChanged"); });
  onWebViewEvent("viewport_changed", function (_, d) {
    if (d.height) viewportHeight = d.height;
    isExpanded = d.is_expanded !== false;
    css("viewport-height", viewportHeight + "px");
    css("viewport-stable-height", viewportHeight + "px");
    emitApp("viewportChanged", { isStateStable: d.is_state_stable !== false });
  });
  onWebViewEvent("main_button_pressed", function () { emitApp("mainButtonClicked"); });
  onWebViewEvent("secondary_button_pressed", function () { emitApp("secondaryButtonClicked"); });
  onWebViewEvent("back_button_pressed", function () { emitApp("backButtonClicked"); });
  onWebViewEvent("settings_button_pressed", function () { emitApp("settingsButtonClicked"); });
  onWebViewEvent("popup_closed", function (_, d) {
    var cb = popupCallback;
    popupCallback = null;
    if (cb) cb(d.button_id == null ? null : d.button_id);
    emitApp("popupClosed", { button_id: d.button_id == null ? null : d.button_id });
  });
  onWebViewEvent("clipboard_text_received", function (_, d) {
    var cb = clipboardCallbacks[d.req_id];
    delete clipboardCallbacks[d.req_id];
    if (cb) cb(d.data == null ? null : d.data);
    emitApp("clipboardTextReceived", { data: d.data == null ? null : d.data });
  });

  applyTheme(themeParams);
  css("viewport-height", viewportHeight + "px");
  css("viewport-stable-height", viewportHeight + "px");
  if (isIframe) {
    postEvent("iframe_ready", { reload_supported: true });
    postEvent("web_app_request_theme");
    postEvent("web_app_request_viewport");
  }

  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = WebApp;
  window.Telegram.WebView = {
    initParams: initParams,
    isIframe: isIframe,
    onEvent: onWebViewEvent,
    offEvent: offWebViewEvent,
    postEvent: function (type, cb, data) { postEvent(type, data); if (cb) cb(); },
    receiveEvent: receiveEvent,
  };
  window.Telegram.Utils = { urlParseQueryString: parseParams };
})();
