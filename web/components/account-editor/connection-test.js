// How a connection test's outcome (the API's TestResult) and its times are put into words, for the account
// editor's Test button and the credential fields' test when a typed key is left.

import { html, withCode } from '../../lib/html.js';

/** Each failure category in words; the provider's own sentence (`summary`) comes first, this follows. */
export const categoryWords = {
    auth: 'The key was rejected',
    forbidden: 'The key is not allowed to do this',
    rate_limit: 'Too many requests: the provider is rate limiting this key',
    billing: 'A billing problem: out of credit or quota',
    not_found: 'The address or the model was not found',
    timeout: 'The provider did not answer in time',
    network: 'The provider could not be reached',
    tls: 'The secure connection to the provider failed',
    bad_response: 'The provider’s answer was not understood',
    unknown: 'The test failed',
};

const numbers = new Intl.NumberFormat(undefined);
const money = new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' });

/** "3 minutes ago", "just now", "in 2 hours"; a date when it is further away than a few weeks. */
export function relativeTime(iso, now = Date.now()) {
    const at = Date.parse(iso ?? '');
    if (Number.isNaN(at)) return iso ?? '';
    const seconds = Math.round((at - now) / 1000);
    const abs = Math.abs(seconds);
    if (abs < 45) return 'just now';
    const words = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    if (abs < 45 * 60) return words.format(Math.round(seconds / 60), 'minute');
    if (abs < 22 * 3600) return words.format(Math.round(seconds / 3600), 'hour');
    if (abs < 26 * 86400) return words.format(Math.round(seconds / 86400), 'day');
    return new Date(at).toLocaleDateString();
}

function exact(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

/** A <time> that says how long ago `iso` was; `refreshRelativeTimes` keeps it current. */
export function relativeTimeTag(iso) {
    return html`<time datetime="${iso}" title="${exact(iso)}" data-relative>${relativeTime(iso)}</time>`;
}

/** Updates every relative time under `root` (they drift while the page stays open). */
export function refreshRelativeTimes(root) {
    for (const time of root.querySelectorAll('time[data-relative]')) {
        const text = relativeTime(time.getAttribute('datetime'));
        if (time.textContent !== text) time.textContent = text;
    }
}

function resetWords(iso) {
    const at = Date.parse(iso);
    if (Number.isNaN(at)) return '';
    const date = new Date(at);
    if (at - Date.now() < 60_000) return 'resets within a minute';
    const clock = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    return date.toDateString() === new Date().toDateString() ? `resets ${clock}` : `resets ${date.toLocaleDateString()} ${clock}`;
}

function leftOf(label, remaining, limit) {
    if (typeof remaining !== 'number') return '';
    return typeof limit === 'number'
        ? `${label} left: ${numbers.format(remaining)} of ${numbers.format(limit)}`
        : `${label} left: ${numbers.format(remaining)}`;
}

/** The provider's allowance in one line ("Requests left: 4,999 of 5,000 · resets 12:00"), or ''. */
export function quotaText(quota) {
    if (!quota) return '';
    const parts = [
        leftOf('Requests', quota.requestsRemaining, quota.requestsLimit),
        leftOf('Tokens', quota.tokensRemaining, quota.tokensLimit),
    ];
    if (typeof quota.creditUsed === 'number') {
        parts.push(typeof quota.creditLimit === 'number'
            ? `Credit used: ${money.format(quota.creditUsed)} of ${money.format(quota.creditLimit)}`
            : `Credit used: ${money.format(quota.creditUsed)} (no limit)`);
    } else if (typeof quota.creditLimit === 'number') {
        parts.push(`Credit limit: ${money.format(quota.creditLimit)}`);
    }
    if (quota.resetAt && parts.some(Boolean)) parts.push(resetWords(quota.resetAt));
    return parts.filter(Boolean).join(' · ');
}

/** The failure's facts after its summary: the category in words, the HTTP status when one came, the time. */
function failureFacts(result) {
    return [
        categoryWords[result.category] ?? categoryWords.unknown,
        typeof result.httpStatus === 'number' ? `HTTP ${result.httpStatus}` : '',
        typeof result.latencyMs === 'number' ? `${numbers.format(result.latencyMs)} ms` : '',
    ].filter(Boolean).join(' · ');
}

function quotaLine(result) {
    const quota = quotaText(result.quota);
    return quota ? html`<p class="test-result__quota" data-quota>${quota}</p>` : '';
}

/** The Test button's outcome: "✓ Connected — summary" with the time it took, or the summary and why. */
export function accountTestResult(result) {
    if (result.ok) {
        const facts = [
            typeof result.modelCount === 'number' ? `${numbers.format(result.modelCount)} models` : '',
            typeof result.latencyMs === 'number' ? `${numbers.format(result.latencyMs)} ms` : '',
        ].filter(Boolean).join(' · ');
        return html`
            <div class="test-result" data-ok="true" data-category="${result.category}">
                <p class="test-result__title"><span class="test-result__mark" aria-hidden="true">✓</span>
                    <span data-test-summary>Connected — ${result.summary}</span></p>
                ${facts ? html`<p class="test-result__facts">${facts}</p>` : ''}
                ${quotaLine(result)}
            </div>`;
    }
    return html`
        <div class="test-result" data-ok="false" data-category="${result.category}">
            <p class="test-result__title"><span class="test-result__mark" aria-hidden="true">✗</span>
                <span data-test-summary>${result.summary}</span></p>
            <p class="test-result__facts" data-test-category>${failureFacts(result)}</p>
            ${quotaLine(result)}
        </div>`;
}

/** A typed credential's outcome under its field: "✓ Key works — 23 models", or the summary and why. */
export function draftTestResult(result, works = 'Key works') {
    if (result.ok) {
        const what = typeof result.modelCount === 'number'
            ? `${numbers.format(result.modelCount)} ${result.modelCount === 1 ? 'model' : 'models'}`
            : result.summary;
        return html`
            <div class="test-result test-result--inline" data-ok="true" data-category="${result.category}">
                <p class="test-result__title"><span class="test-result__mark" aria-hidden="true">✓</span>
                    <span data-test-summary>${works} — ${what}</span></p>
                ${quotaLine(result)}
            </div>`;
    }
    return html`
        <div class="test-result test-result--inline" data-ok="false" data-category="${result.category}">
            <p class="test-result__title"><span class="test-result__mark" aria-hidden="true">✗</span>
                <span data-test-summary>${result.summary}</span></p>
            <p class="test-result__facts" data-test-category>${failureFacts(result)}</p>
        </div>`;
}

/** A request the server refused before any test ran (not a TestResult): its title and detail. */
export function refusedTest(error, what = 'The test did not run') {
    return html`
        <div class="test-result test-result--inline" data-ok="false" data-category="refused">
            <p class="test-result__title"><span class="test-result__mark" aria-hidden="true">✗</span>
                <span data-test-summary>${what}: ${error.title}</span></p>
            ${error.detail ? html`<p class="test-result__facts">${withCode(error.detail)}</p>` : ''}
        </div>`;
}
