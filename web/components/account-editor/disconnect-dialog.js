// Asking before an account is disconnected: which account takes over, and which settings use the provider.

import { html } from '../../lib/html.js';
import { confirmDialog } from '../account-dialog/account-dialog.js';

const roleLabels = {
    primary: 'Default model',
    fallback: 'Fallback model',
    system_brain: 'System Brain model',
    heartbeat: 'Heartbeat model',
    image: 'Default image model',
    agent_primary: 'Agent model',
    agent_fallback: 'Agent fallback model',
    other: 'Setting',
};

/** Asks whether to disconnect `account`, given what that would affect (GET …/impact); true when confirmed. */
export function confirmDisconnect(provider, account, impact) {
    const references = impact.references ?? [];
    const takeover = impact.takeover;
    return confirmDialog({
        title: `Disconnect ${account.displayName}?`,
        body: html`
            <p data-takeover>${impact.summary || (takeover
                ? html`<strong>${takeover.displayName}</strong> (${takeover.id}) takes over${references.length ? ' these settings' : ''}.`
                : references.length
                    ? html`No other ${provider.name} account is left, so nothing takes over: these settings stop working until you connect one.`
                    : html`No other ${provider.name} account is left.`)}</p>
            ${references.length ? html`
                <p>Settings that use ${provider.name}:</p>
                <ul class="account-dialog__list">
                    ${references.map((r) => html`<li>${roleLabels[r.role] ?? r.role}: <code>${r.reference}</code></li>`)}
                </ul>` : ''}
            <p>The stored credential is deleted. This is recorded in the audit log.</p>`,
        confirm: 'Disconnect',
        danger: true,
    });
}
