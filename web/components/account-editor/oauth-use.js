// How an OAuth account's tokens may be used, in the account editor: the direct-API switch (saved at once)
// and who may use the sign-in.

import { api } from '../../api.js';
import { announce } from '../../lib/announce.js';
import { html, render, withCode } from '../../lib/html.js';
import { relativeTimeTag } from './connection-test.js';

/**
 * The "How this sign-in may be used" group of one editor (`root`); `shows(account)` says whether the editor
 * still shows that account.
 */
export class OAuthUse {
    #root;
    #shows;

    constructor(root, shows) {
        this.#root = root;
        this.#shows = shows;
    }

    /** Shows the group for `account` (nothing when it did not sign in with OAuth); `note` says what was saved. */
    show(account, note = '') {
        const box = this.#root.querySelector('[data-oauth-use]');
        if (!box) return;
        const oauth = account?.oauth;
        if (!oauth) {
            box.replaceChildren();
            return;
        }
        const name = this.#root.provider.name;
        const cli = `runtimes that go through ${name}’s own CLI`;
        render(box, html`
            <fieldset class="group account-oauth" aria-describedby="acct-oauth-help">
                <legend>How this sign-in may be used</legend>
                <div class="field field--switch account-oauth__switch">
                    <input type="checkbox" id="acct-allow-direct" data-op="allow-direct"
                           ${oauth.directApiAllowed ? html`checked` : ''} aria-describedby="acct-oauth-help acct-oauth-status">
                    <label for="acct-allow-direct">Allow direct API calls with this sign-in</label>
                </div>
                <p class="field__help" id="acct-oauth-help">Tokens obtained through a provider’s own CLI sign-in may break its terms
                    when used for direct API calls. Without this, the account is offered only to ${cli}.</p>
                <p class="account-oauth__usable" data-usable-by="${oauth.usableBy}">Used by: ${oauth.usableBy === 'direct_api'
                    ? 'any runtime, with direct API calls' : `only ${cli}`}</p>
                ${oauth.providerCliClient ? html`
                    <p class="muted">This sign-in went through ${name}’s own CLI client.</p>` : ''}
                ${oauth.scopes?.length ? html`
                    <p class="muted">Granted: ${oauth.scopes.map((s, i) => html`${i ? ' ' : ''}<code>${s}</code>`)}</p>` : ''}
                ${oauth.expiresAt ? html`
                    <p class="muted">The access token expires ${relativeTimeTag(oauth.expiresAt)}; Switchboard renews it before then.</p>` : ''}
                <p class="field__note" id="acct-oauth-status" data-oauth-use-status role="status">${note}</p>
            </fieldset>`);
    }

    /**
     * Saves the switch of `account` at once (a merge patch with the account's ETag); on failure it flips back.
     * Answers the saved account, or null.
     */
    async save(account, checkbox) {
        const wanted = checkbox.checked;
        const status = this.#root.querySelector('[data-oauth-use-status]');
        checkbox.disabled = true;
        status.textContent = 'Saving…';
        let updated;
        try {
            updated = await api.patchAccount(account.id, { allowDirectApi: wanted }, account.etag ?? `"${account.version}"`);
        } catch (error) {
            checkbox.disabled = false;
            checkbox.checked = !wanted;
            status.textContent = '';
            render(status, html`<span class="field__error" data-oauth-use-error>${error.status === 412
                ? 'This account was changed elsewhere: close the editor and open it again, then change this.'
                : html`Not saved: ${error.title}${error.detail ? html`. ${withCode(error.detail)}` : ''}`}</span>`);
            return null;
        }
        if (!this.#shows(account)) return null;
        const said = wanted ? 'Saved: direct API calls are allowed with this sign-in.' : 'Saved: only runtimes that go through the CLI may use this sign-in.';
        this.show(updated, said);
        this.#root.querySelector('#acct-allow-direct')?.focus();
        announce(said);
        return updated;
    }
}
