// The mock portal's own script: it listens to the widgets' benefind-result event and shows
// the passage the member opened (as text), and keeps the page's Content-Security-Policy
// violations (a real portal would report them) in window.__violations.
const violations = [];
/** @type {any} */ (window).__violations = violations;
document.addEventListener("securitypolicyviolation", (e) => violations.push(`${e.violatedDirective} ${e.blockedURI}`));
document.addEventListener("benefind-result", (event) => {
  const { id, text, metadata } = /** @type {CustomEvent} */ (event).detail;
  document.getElementById("opened").textContent = `${metadata.policy} · ${metadata.section ?? ""} (${id}): ${text}`;
});
