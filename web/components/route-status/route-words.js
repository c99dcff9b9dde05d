// Routing's state in words, for provider tiles, accounts and the route-status panel.

const reasons = {
    rate_limit: 'rate limit',
    quota_exhausted: 'quota used up',
    billing: 'billing',
    auth: 'sign-in refused',
    timeout: 'timeouts',
    network: 'network errors',
    server_error: 'server errors',
    overloaded: 'overloaded',
    policy: 'policy',
    status: 'account status',
    excluded: 'policy',
    credential: 'credential',
    cooling: 'cooling',
    busy: 'busy',
    quota: 'quota',
};

// Worst first: an account's state across its models is the worst one.
const severity = ['disabled', 'cooling', 'error', 'quota', 'busy', 'excluded', 'in_rotation'];

export function clock(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    if (Number.isNaN(date.getTime())) return iso;
    const sameDay = date.toDateString() === new Date().toDateString();
    const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    return sameDay ? time : `${date.toLocaleDateString([], { month: 'short', day: 'numeric' })} ${time}`;
}

export function reasonText(reason) {
    return reasons[reason] ?? (reason ? reason.replace(/_/g, ' ') : '');
}

/** "Cooling until 14:05 (rate limit, 3 failures)", "In rotation", "Disabled until 19:00 (billing)", "Excluded by policy". */
export function stateText(entry) {
    if (!entry) return 'No routing yet';
    const why = [reasonText(entry.reason), entry.failures ? `${entry.failures} failure${entry.failures === 1 ? '' : 's'}` : '']
        .filter(Boolean).join(', ');
    const until = entry.until ? ` until ${clock(entry.until)}` : '';
    switch (entry.state) {
    case 'in_rotation': return 'In rotation';
    case 'cooling': return `Cooling${until}${why ? ` (${why})` : ''}`;
    case 'disabled': return `Disabled${until}${why ? ` (${why})` : ''}`;
    case 'error': return `Out of rotation: error${why ? ` (${why})` : ''}`;
    case 'excluded': return `Excluded by ${entry.reason === 'status' ? 'its status' : 'policy'}${entry.detail ? `: ${entry.detail}` : ''}`;
    case 'busy': return `Busy (${entry.inFlight} of ${entry.maxConcurrent ?? '?'} in flight)`;
    case 'quota': return `Held back: quota nearly used${until}`;
    default: return entry.state;
    }
}

/** The worst state of `account` across the status's models, with the model it is in. */
export function accountState(status, account) {
    let worst = null;
    for (const model of status?.models ?? []) {
        for (const entry of model.accounts) {
            if (entry.account !== account) continue;
            if (!worst || severity.indexOf(entry.state) < severity.indexOf(worst.state)) worst = { ...entry, model: model.model };
        }
    }
    return worst;
}

const windowNames = {
    requests: 'requests', tokens: 'tokens', input_tokens: 'input tokens', output_tokens: 'output tokens',
    unified_5h: '5-hour limit', unified_7d: '7-day limit', codex_primary: 'primary limit', codex_secondary: 'secondary limit',
};

/** "0 of 50 requests left, resets 14:06" or "80 % of the 5-hour limit used, resets …". */
export function quotaText(window) {
    const name = windowNames[window.name] ?? window.name.replace(/_/g, ' ');
    const resets = window.resetAt ? `, resets ${clock(window.resetAt)}` : '';
    if (window.remaining !== undefined && window.limit !== undefined) return `${window.remaining} of ${window.limit} ${name} left${resets}`;
    if (window.remaining !== undefined) return `${window.remaining} ${name} left${resets}`;
    if (window.usedFraction !== undefined) return `${Math.round(window.usedFraction * 100)} % of the ${name} used${resets}`;
    return `${name}${resets}`;
}

export const stateClass = (state) => (state === 'in_rotation' ? 'ok' : state === 'cooling' || state === 'quota' || state === 'busy' ? 'warn' : 'bad');
