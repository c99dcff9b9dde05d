import { SettingsSection } from '../../lib/settings-section.js';
import '../agents-card/agents-card.js';

/** Settings › Agents: the agents of the settings document, what each overrides and inherits, and New agent. */
export class AgentsSection extends SettingsSection {
    sectionId = 'agents';
    heading = 'Agents';
    intro = 'Each agent inherits the defaults from Model & Provider and overrides what it sets. Changes save automatically.';
    cards = ['new-agent-card', 'agents-card'];
}

customElements.define('agents-section', AgentsSection);
