// The account editor's choice of account: the picker of the provider's accounts, Add another account, and a
// new account's display name and name (its id is `<provider>:<name>`), checked before it is sent.

import { html } from '../../lib/html.js';

const accountName = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** The picker (when there is more than one account to choose from) and Add another account. */
export function accountPicker(accounts, current) {
    const isNew = current === null;
    const choices = accounts.length + (isNew ? 1 : 0);
    return html`
        ${choices > 1 ? html`
            <div class="field account-editor__picker">
                <label for="acct-picker">Account</label>
                <select id="acct-picker" data-op="pick">
                    ${accounts.map((a) => html`
                        <option value="${a.id}" ${a === current ? html`selected` : ''}>${a.displayName} (${a.id})</option>`)}
                    ${isNew ? html`<option value="" selected>New account</option>` : ''}
                </select>
            </div>` : ''}
        ${!isNew ? html`
            <button type="button" class="button button--small" data-op="add-account">Add another account</button>` : ''}`;
}

/** A saved account's display name. */
export function displayNameField() {
    return html`
        <div class="field">
            <label for="acct-display-name">Display name</label>
            <input id="acct-display-name" type="text" data-field="displayName" autocomplete="off"
                   spellcheck="false" maxlength="100" aria-describedby="acct-display-name-messages">
            <div class="field__messages" id="acct-display-name-messages" data-messages="/displayName"></div>
        </div>`;
}

/** A new account's display name and name, with the id it will have. */
export function newAccountFields(provider, accounts) {
    const taken = new Set(accounts.map((a) => a.id));
    const suggested = taken.has(`${provider.id}:default`) ? '' : 'default';
    return html`
        <p class="account-editor__intro">${accounts.length ? 'Add another account for this provider.' : `Connect ${provider.name}.`}</p>
        <div class="field-row">
            <div class="field">
                <label for="acct-display-name">Display name</label>
                <input id="acct-display-name" type="text" data-field="displayName" autocomplete="off" spellcheck="false"
                       maxlength="100" placeholder="${provider.name}" aria-describedby="acct-display-name-messages">
                <div class="field__messages" id="acct-display-name-messages" data-messages="/displayName"></div>
            </div>
            <div class="field">
                <label for="acct-name">Account name</label>
                <input id="acct-name" type="text" data-field="name" autocomplete="off" spellcheck="false" value="${suggested}"
                       placeholder="work" aria-describedby="acct-name-help acct-name-messages">
                <p class="field__help" id="acct-name-help">Lower-case letters, digits, - and _. The account’s id will be
                    <code data-id-preview>${provider.id}:${suggested || 'name'}</code>.</p>
                <div class="field__messages" id="acct-name-messages" data-messages="/id"></div>
            </div>
        </div>`;
}

/** Shows the id a typed name gives. */
export function previewId(root, provider, name) {
    const preview = root.querySelector('[data-id-preview]');
    if (preview) preview.textContent = `${provider.id}:${name.trim() || 'name'}`;
}

/** What is wrong with a new account's name before it is sent, as field errors at `/id`. */
export function checkNewAccount(provider, accounts, name) {
    const errors = [];
    if (!name) errors.push({ pointer: '/id', code: 'required', message: 'Give the account a name, such as default or work.' });
    else if (!accountName.test(name)) {
        errors.push({ pointer: '/id', code: 'invalid_name', message: 'Use lower-case letters, digits, - and _ (at most 64), starting with a letter or digit.' });
    } else if (accounts.some((a) => a.id === `${provider.id}:${name}`)) {
        errors.push({ pointer: '/id', code: 'duplicate', message: 'This provider already has an account with that name.' });
    }
    return errors;
}
