import { SettingsSection } from '../../lib/settings-section.js';
import '../runtime-card/runtime-card.js';
import '../system-brain-card/system-brain-card.js';
import '../heartbeat-card/heartbeat-card.js';
import '../providers-card/providers-card.js';
import '../default-models-card/default-models-card.js';
import '../global-behaviour-card/global-behaviour-card.js';

/** Settings › Model & Provider: the runtime, System Brain, Heartbeat, providers, default models and behaviour. */
export class ModelProviderSection extends SettingsSection {
    sectionId = 'model-provider';
    heading = 'Model & Provider';
    intro = 'The runtime, providers, the default models and how agents behave. Changes save automatically.';
    cards = ['runtime-card', 'system-brain-card', 'heartbeat-card', 'providers-card', 'default-models-card',
        'global-behaviour-card'];
}

customElements.define('model-provider-section', ModelProviderSection);
