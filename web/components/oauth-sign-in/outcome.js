// What the sign-in and pairing panels show when a flow ends: the account it connected, by name, and a request
// the server refused before any flow ran.

import { api } from '../../api.js';
import { html, withCode } from '../../lib/html.js';
import { categorySentence } from './sign-in-words.js';

/** The account a flow connected and how to name it ("OpenAI (openai:work)"); its id when it cannot be read. */
export async function connectedAccount(accountId, fallback) {
    let account = null;
    try {
        account = accountId ? await api.account(accountId) : null;
    } catch {
        // The id says enough; the editor reads the account again anyway.
    }
    return { account, name: account ? `${account.displayName} (${account.id})` : accountId ?? fallback };
}

/** A refused start as markup: what did not happen, why (the category in words, else the problem's title), the detail. */
export function refusal(error, what) {
    return html`
        <p>${what}: ${error.category ? categorySentence(error.category) : error.title}</p>
        ${error.detail ? html`<p>${withCode(error.detail)}</p>` : ''}`;
}
