/** Settings as a user's inputs give them, for the tests of the remote commands built from them. */
import { parseSettings, type Settings } from '../../src/config/settings.js';

/** One host with a key and known_hosts, deploy path /srv/app, `.env` and `storage` shared, and `inputs` on top. */
export function settingsWith(inputs: Record<string, string>): Settings {
  return parseSettings(
    {
      hosts: 'deploy@h',
      'ssh-key': 'k',
      'known-hosts': 'h ssh-ed25519 AAAA',
      'deploy-path': '/srv/app',
      shared: '.env\nstorage',
      ...inputs,
    },
    { who: 'me@box', tag: 'v1' },
  );
}
