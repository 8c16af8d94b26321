// The mock portal's own script: it listens to the widgets' benefind-result event and shows
// the passage the member opened (as text), and keeps the page's Content-Security-Policy
// violations (a real portal would report them) in window.__violations.
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
document.addEventListener("benefind-result", (event) => {
  const { id, text, metadata } = event.detail;
  document.getElementById("opened").textContent = `${metadata.policy} · ${metadata.section ?? ""} (${id}): ${text}`;
});
