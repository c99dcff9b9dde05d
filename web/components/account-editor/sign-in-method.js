// The account editor's sign-in method: the Authentication choices, and what each shows under them: the
// credential fields (<account-credential>) or the panel of a flow (<oauth-sign-in>, <pairing-panel>).

import { html } from '../../lib/html.js';
import { credentialKind } from '../account-credential/account-credential.js';
import '../oauth-sign-in/oauth-sign-in.js';
import '../pairing-panel/pairing-panel.js';

const methodLabels = {
    api_key: 'API key',
    cloud_credentials: 'Cloud credentials',
    service_account: 'Service account key',
    oauth_browser: 'OAuth sign-in in the browser',
    oauth_device_code: 'OAuth sign-in with a device code',
    pairing: 'Pair from your local machine',
};

const methodDescriptions = {
    api_key: 'Paste a key from the provider’s console.',
    cloud_credentials: 'Access keys of your cloud account.',
    service_account: 'The JSON key file of a Google Cloud service account.',
    oauth_browser: 'Sign in at the provider in a new tab; Switchboard keeps the tokens.',
    oauth_device_code: 'Type a short code at the provider, on this or any other device.',
    pairing: 'Run a command on a machine that has a browser and type the code shown here.',
};

// Methods that connect through a flow (a sign-in, a pairing) instead of fields typed here, and the panel of each.
export const flowPanels = { oauth_browser: 'oauth-sign-in', oauth_device_code: 'oauth-sign-in', pairing: 'pairing-panel' };

/** Why `option` cannot be chosen, or '' when it can. */
export function unavailable(provider, option) {
    if (option.status === 'phased') return 'Coming soon';
    if (flowPanels[option.method]) return '';
    return credentialKind(provider, option.method) ? '' : 'Coming soon';
}

/** The kind of flow `begin(kind)` starts for a method: `browser`, `device` or `pairing`. */
export function flowKind(method) {
    return method === 'pairing' ? 'pairing' : method === 'oauth_device_code' ? 'device' : 'browser';
}

/**
 * The Authentication choices of one editor (`root`, the <account-editor>) and the credential fields or flow panel
 * of the chosen one. `account()` is the account shown (null: a new one).
 */
export class SignInMethod {
    #root;
    #account;

    constructor(root, account) {
        this.#root = root;
        this.#account = account;
    }

    get #provider() { return this.#root.provider; }

    get #options() { return this.#provider.authMethods ?? []; }

    /** The method to show checked: `wanted`, else the first the provider offers. */
    initial(wanted) {
        return wanted ?? this.#options.find((o) => !unavailable(this.#provider, o))?.method ?? null;
    }

    template(chosen) {
        const methods = this.#options;
        if (!methods.length) {
            return html`
                <p class="muted">${this.#provider.name} needs no credential.</p>
                <div class="field__messages" id="acct-auth-messages" data-messages="/authMethod"></div>`;
        }
        return html`
            <fieldset class="field choices account-methods" aria-describedby="acct-auth-messages">
                <legend>Authentication</legend>
                ${methods.map((option) => {
                    const note = unavailable(this.#provider, option);
                    const id = `acct-auth-${option.method}`;
                    return html`
                        <label class="choice" for="${id}">
                            <input type="radio" id="${id}" name="acct-auth" value="${option.method}" data-field="authMethod"
                                   ${option.method === chosen ? html`checked` : ''} ${note ? html`disabled` : ''}
                                   aria-describedby="${id}-description">
                            <span class="choice__text">
                                <span class="choice__label">${methodLabels[option.method] ?? option.method}</span>
                                <span class="choice__description" id="${id}-description">${note || methodDescriptions[option.method] || ''}</span>
                            </span>
                        </label>`;
                })}
                <div class="field__messages" id="acct-auth-messages" data-messages="/authMethod"></div>
            </fieldset>`;
    }

    /** The checked method, or null. */
    get chosen() {
        return this.#root.querySelector('[data-field="authMethod"]:checked')?.value ?? null;
    }

    /** Shows the credential fields or the flow panel of `method`. */
    show(method) {
        const option = this.#options.find((o) => o.method === method);
        const flow = flowPanels[method] && option && !unavailable(this.#provider, option) ? flowPanels[method] : null;
        this.#root.querySelector('account-credential').show(method, flow ? '' : option ? unavailable(this.#provider, option) || 'Coming soon' : '');
        this.#showPanel(flow);
        const signIn = this.#root.querySelector('[data-flow-panel] > oauth-sign-in');
        if (signIn) signIn.mode = method === 'oauth_device_code' ? 'device' : 'browser';
    }

    /** Shows the stored credential of the account as it is now; a running flow stays. */
    showStored(account) {
        const method = this.chosen;
        const option = this.#options.find((o) => o.method === method);
        this.#root.querySelector('account-credential').show(method, flowPanels[method] || !option ? '' : unavailable(this.#provider, option));
        for (const panel of this.#root.querySelectorAll('[data-flow-panel] > *')) panel.account = account;
    }

    /** Checks the radio of `method` and shows its panel (when the provider offers it). */
    choose(method) {
        const radio = this.#root.querySelector(`[data-field="authMethod"][value="${CSS.escape(method)}"]`);
        if (!radio || radio.disabled) return false;
        radio.checked = true;
        this.show(method);
        return true;
    }

    /** Starts the flow of `kind` in its panel, choosing its method first when another is chosen. */
    begin(kind) {
        const method = kind === 'pairing' ? 'pairing' : this.chosen;
        if (!flowPanels[method] || (kind === 'pairing') !== (method === 'pairing')) {
            if (!this.choose(kind === 'pairing' ? 'pairing' : kind === 'device' ? 'oauth_device_code' : 'oauth_browser')) this.choose('oauth_browser');
        }
        this.#root.querySelector(kind === 'pairing' ? 'pairing-panel' : 'oauth-sign-in')?.begin(kind);
    }

    /** True when the chosen method connects through a flow whose panel is shown. */
    get flowShown() {
        return Boolean(flowPanels[this.chosen] && this.#root.querySelector('[data-flow-panel] > *'));
    }

    /** The sign-in or pairing panel of the chosen method (a running one stays while its method stays chosen). */
    #showPanel(element) {
        const box = this.#root.querySelector('[data-flow-panel]');
        if (!box) return;
        const account = this.#account();
        const shown = box.firstElementChild;
        if (!element) box.replaceChildren();
        else if (shown?.localName !== element || shown.account?.id !== account?.id) {
            const panel = document.createElement(element);
            panel.provider = this.#provider;
            panel.account = account;
            box.replaceChildren(panel);
        }
        // A new account in a flow is created by the panel's button (the sign-in needs the account first).
        const save = this.#root.querySelector('[data-op="save"]');
        if (save) save.hidden = Boolean(element) && !account;
    }
}
