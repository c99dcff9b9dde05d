import { html, render } from '../../lib/html.js';

let dialogs = 0;

/**
 * A modal confirmation in a <dialog> (showModal: focus stays inside, Escape cancels). Focus starts on Cancel
 * and goes back to where it was when the dialog closes. Resolves true when `confirm` is chosen.
 */
export function confirmDialog({ title, body, confirm, danger = false }) {
    const opener = document.activeElement;
    const id = `account-dialog-${++dialogs}`;
    const dialog = document.createElement('dialog');
    dialog.className = 'account-dialog';
    dialog.setAttribute('aria-labelledby', `${id}-title`);
    dialog.setAttribute('aria-describedby', `${id}-body`);
    render(dialog, html`
        <form method="dialog">
            <h2 class="account-dialog__title" id="${id}-title">${title}</h2>
            <div class="account-dialog__body" id="${id}-body">${body}</div>
            <div class="account-dialog__actions">
                <button type="submit" class="button" value="cancel" autofocus>Cancel</button>
                <button type="submit" class="button ${danger ? 'button--danger' : 'button--primary'}" value="confirm"
                        data-confirm>${confirm}</button>
            </div>
        </form>`);
    document.body.append(dialog);
    return new Promise((resolve) => {
        dialog.addEventListener('close', () => {
            const confirmed = dialog.returnValue === 'confirm';
            dialog.remove();
            if (opener?.isConnected) opener.focus();
            resolve(confirmed);
        }, { once: true });
        dialog.showModal();
    });
}
