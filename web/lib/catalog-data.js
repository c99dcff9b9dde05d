// What the model pickers, the catalog browser and the agents section know about providers and models: the
// catalog (each provider's models with their facts), the accounts, and the models each connected account's
// provider listed (discovery). Loaded once per page and shared; `reloadCatalog()` drops it (after a provider
// is added or an account connected).

import { api } from '../api.js';

const usable = new Set(['connected', 'untested']);

let loading = null;

/** `{providers, accounts, models, byReference, connected(providerId)}`; each model has `provider`, `providerName`, `source`. */
export function catalogData() {
    loading ??= load().catch((error) => {
        loading = null;
        throw error;
    });
    return loading;
}

export function reloadCatalog() {
    loading = null;
    document.dispatchEvent(new CustomEvent('catalog-changed'));
}

async function load() {
    const [catalog, { accounts = [] }] = await Promise.all([api.catalog(), api.accounts()]);
    const providers = catalog.providers ?? [];
    const details = await Promise.all(providers.map((p) => api.catalogProvider(p.id).catch(() => ({ models: [] }))));
    const connectedAccounts = accounts.filter((a) => usable.has(a.status));
    const discovered = await Promise.all(connectedAccounts.map((a) => api.accountModels(a.id).catch(() => ({ models: [] }))));
    const models = [];
    const byReference = new Map();
    providers.forEach((provider, i) => {
        for (const model of details[i].models ?? []) {
            const entry = { ...model, provider: provider.id, providerName: provider.name, source: 'catalog' };
            models.push(entry);
            byReference.set(entry.reference, entry);
        }
    });
    connectedAccounts.forEach((account, i) => {
        for (const found of discovered[i].models ?? []) {
            if (found.source === 'catalog') continue;
            const reference = `${account.provider}/${found.id}`;
            const known = byReference.get(reference);
            if (known) {
                known.source = 'both';
                continue;
            }
            const provider = providers.find((p) => p.id === account.provider);
            const entry = {
                id: found.id, reference, name: found.name || found.id, contextWindow: found.contextWindow ?? undefined,
                capabilities: {}, provider: account.provider, providerName: provider?.name ?? account.provider, source: 'discovered',
            };
            models.push(entry);
            byReference.set(reference, entry);
        }
    });
    const connectedProviders = new Set(connectedAccounts.map((a) => a.provider));
    return {
        providers,
        accounts,
        models,
        byReference,
        connected: (id) => connectedProviders.has(id),
        /** Connected providers first (in catalog order), then the rest. */
        orderedProviders() {
            const position = (p) => p.featured ?? Number.MAX_SAFE_INTEGER;
            return [...providers].sort((a, b) => Number(connectedProviders.has(b.id)) - Number(connectedProviders.has(a.id))
                || position(a) - position(b) || a.name.localeCompare(b.name));
        },
        modelsOf: (id) => models.filter((m) => m.provider === id),
    };
}

// MARK: Words for model facts

/** 200000 → "200K", 1048576 → "1M". */
export function tokens(n) {
    if (n === undefined || n === null) return '—';
    if (n >= 1_000_000) return `${+(n / 1_000_000).toFixed(n % 1_000_000 ? 1 : 0)}M`;
    if (n >= 1000) return `${Math.round(n / 1000)}K`;
    return String(n);
}

/** USD per million tokens: "$3", "$0.15", "free", "—". */
export function price(n) {
    if (n === undefined || n === null) return '—';
    if (n === 0) return 'free';
    return `$${n < 1 ? +n.toFixed(3) : +n.toFixed(2)}`;
}

export const sourceLabels = { catalog: 'catalog', discovered: 'discovered', both: 'catalog + discovered', manual: 'manual' };

/** One line of facts: "200K context · 64K out · $3 in / $15 out per 1M · catalog". */
export function modelFacts(model) {
    const parts = [];
    if (model.contextWindow) parts.push(`${tokens(model.contextWindow)} context`);
    if (model.capabilities?.maxOutputTokens) parts.push(`${tokens(model.capabilities.maxOutputTokens)} out`);
    if (model.costPer1MIn !== undefined || model.costPer1MOut !== undefined) {
        parts.push(`${price(model.costPer1MIn)} in / ${price(model.costPer1MOut)} out per 1M`);
    }
    parts.push(sourceLabels[model.source] ?? model.source);
    return parts.join(' · ');
}

/** True for a model that takes images (Catwalk's attachments). */
export function takesImages(model) {
    return model.capabilities?.attachments === true;
}
