// The mock portal's own script: it listens to the widgets' benefind-result event and shows
// the passage the member opened (as text).
document.addEventListener("benefind-result", (event) => {
  const { id, text, metadata } = event.detail;
  document.getElementById("opened").textContent = `${metadata.policy} · ${metadata.section ?? ""} (${id}): ${text}`;
});
