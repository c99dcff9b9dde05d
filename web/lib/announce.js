// Speaks a short message through the page's role="status" live region.

export function announce(message) {
    const region = document.getElementById('announcer');
    if (!region) return;
    // Clear first so that the same message twice in a row is announced twice.
    region.textContent = '';
    setTimeout(() => { region.textContent = message; }, 50);
}
