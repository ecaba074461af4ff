// A host page written for the tests: it shows one view the way a client
// with MCP Apps does, with the official AppBridge (the host side of
// @modelcontextprotocol/ext-apps): the view's page in an iframe, the
// handshake over postMessage, then the tool's result.
import { AppBridge, PostMessageTransport } from '@modelcontextprotocol/ext-apps/app-bridge';

const themes = {
  light: { '--color-background-primary': '#ffffff', '--color-text-primary': '#1f2328', '--color-text-secondary': '#59636e', '--color-border-primary': '#d1d9e0', '--font-sans': 'DejaVu Sans, sans-serif' },
  dark: { '--color-background-primary': '#0d1117', '--color-text-primary': '#e6edf3', '--color-text-secondary': '#9198a1', '--color-border-primary': '#3d444d', '--font-sans': 'DejaVu Sans, sans-serif' },
};

window.showView = async (html, result, theme) => {
  document.body.style.background = themes[theme]['--color-background-primary'];
  const iframe = document.getElementById('view');
  // The bridge listens before the page loads: the view's handshake is the
  // first thing its script sends.
  const bridge = new AppBridge(null, { name: 'basiq-mcp test host', version: '1.0.0' }, {},
    { hostContext: { theme, displayMode: 'inline', styles: { variables: themes[theme] } } });
  const ready = new Promise((resolve) => { bridge.oninitialized = resolve; });
  await bridge.connect(new PostMessageTransport(iframe.contentWindow, iframe.contentWindow));
  iframe.srcdoc = html;
  await ready;
  await bridge.sendToolResult(result);
};
