import { describe, expect, test } from 'vitest';
import { InputError } from '../../../src/errors.js';
import { parseHosts } from '../../../src/ssh/target.js';

const FORM = 'write each server as host, user@host, user@host:port or user@[ipv6]:port';

describe('parseHosts: accepted forms', () => {
  const good: [string, string | undefined, { user: string; host: string; port: number; label: string }[]][] = [
    ['deploy@web1', undefined, [{ user: 'deploy', host: 'web1', port: 22, label: 'deploy@web1:22' }]],
    ['web1', 'deploy', [{ user: 'deploy', host: 'web1', port: 22, label: 'deploy@web1:22' }]],
    ['web1:2222', 'deploy', [{ user: 'deploy', host: 'web1', port: 2222, label: 'deploy@web1:2222' }]],
    ['ops@web1.example.com:2200', 'deploy', [{ user: 'ops', host: 'web1.example.com', port: 2200, label: 'ops@web1.example.com:2200' }]],
    ['deploy@10.0.0.5', undefined, [{ user: 'deploy', host: '10.0.0.5', port: 22, label: 'deploy@10.0.0.5:22' }]],
    ['[::1]:2222', 'deploy', [{ user: 'deploy', host: '::1', port: 2222, label: 'deploy@[::1]:2222' }]],
    ['user@[2001:db8::1]:22', undefined, [{ user: 'user', host: '2001:db8::1', port: 22, label: 'user@[2001:db8::1]:22' }]],
    ['deploy@[::1]', undefined, [{ user: 'deploy', host: '::1', port: 22, label: 'deploy@[::1]:22' }]],
    ['deploy@2001:db8::2', undefined, [{ user: 'deploy', host: '2001:db8::2', port: 22, label: 'deploy@[2001:db8::2]:22' }]],
    ['Deploy_1.x-y@Web1.Example.COM:65535', undefined, [{ user: 'Deploy_1.x-y', host: 'Web1.Example.COM', port: 65535, label: 'Deploy_1.x-y@Web1.Example.COM:65535' }]],
    ['_svc@h:1', undefined, [{ user: '_svc', host: 'h', port: 1, label: '_svc@h:1' }]],
    [
      ' web1 ,\n\n  web2:2200 , ops@web3\r\n',
      'deploy',
      [
        { user: 'deploy', host: 'web1', port: 22, label: 'deploy@web1:22' },
        { user: 'deploy', host: 'web2', port: 2200, label: 'deploy@web2:2200' },
        { user: 'ops', host: 'web3', port: 22, label: 'ops@web3:22' },
      ],
    ],
    // Same host, different users or ports: different targets.
    [
      'a@h,b@h,a@h:2222',
      undefined,
      [
        { user: 'a', host: 'h', port: 22, label: 'a@h:22' },
        { user: 'b', host: 'h', port: 22, label: 'b@h:22' },
        { user: 'a', host: 'h', port: 2222, label: 'a@h:2222' },
      ],
    ],
  ];
  test.each(good)('%j (default user %s)', (value, defaultUser, expected) => {
    expect(parseHosts(value, defaultUser)).toEqual(expected);
  });
});

describe('parseHosts: refused input', () => {
  const bad: [string, string | undefined, string][] = [
    ['', 'deploy', `hosts: empty; ${FORM} (one per line or comma-separated)`],
    [' ,\n , ', 'deploy', `hosts: empty; ${FORM} (one per line or comma-separated)`],
    ['web1', undefined, 'hosts: "web1" has no user: write it as deploy@web1 or set ssh-user'],
    ['web1:2222', undefined, 'hosts: "web1:2222" has no user: write it as deploy@web1:2222 or set ssh-user'],
    ['[::1]:2222', undefined, 'hosts: "[::1]:2222" has no user: write it as deploy@[::1]:2222 or set ssh-user'],
    ['deploy@h:0', undefined, `hosts: bad entry "deploy@h:0": port 0 is out of range (1-65535); ${FORM}`],
    ['deploy@h:65536', undefined, `hosts: bad entry "deploy@h:65536": port 65536 is out of range (1-65535); ${FORM}`],
    ['deploy@h:ssh', undefined, `hosts: bad entry "deploy@h:ssh": port "ssh" is not a number from 1 to 65535; ${FORM}`],
    ['deploy@h:', undefined, `hosts: bad entry "deploy@h:": port "" is not a number from 1 to 65535; ${FORM}`],
    ['deploy@h:-1', undefined, `hosts: bad entry "deploy@h:-1": port "-1" is not a number from 1 to 65535; ${FORM}`],
    ['deploy@h:1234567', undefined, `hosts: bad entry "deploy@h:1234567": port "1234567" is not a number from 1 to 65535; ${FORM}`],
    ['1deploy@h', undefined, `hosts: bad entry "1deploy@h": the user "1deploy" may only contain letters, digits, "_", "." and "-" and must not start with a digit, "." or "-"; ${FORM}`],
    ['-oProxyCommand=x@h', undefined, `hosts: bad entry "-oProxyCommand=x@h": it contains "="; ${FORM}`],
    ['-x@h', undefined, `hosts: bad entry "-x@h": the user "-x" may only contain letters, digits, "_", "." and "-" and must not start with a digit, "." or "-"; ${FORM}`],
    [`${'u'.repeat(33)}@h`, undefined, `hosts: bad entry "${'u'.repeat(33)}@h": the user is longer than 32 characters; ${FORM}`],
    ['@h', undefined, `hosts: bad entry "@h": the user is empty; ${FORM}`],
    ['a@b@c', undefined, `hosts: bad entry "a@b@c": more than one "@"; ${FORM}`],
    ['deploy@-oProxy', undefined, `hosts: bad entry "deploy@-oProxy": "-oProxy" is not a valid host name or IP address; ${FORM}`],
    ['deploy@web_1', undefined, `hosts: bad entry "deploy@web_1": "web_1" is not a valid host name or IP address; ${FORM}`],
    ['deploy@a..b', undefined, `hosts: bad entry "deploy@a..b": "a..b" is not a valid host name or IP address; ${FORM}`],
    ['deploy@10.0.0.300', undefined, `hosts: bad entry "deploy@10.0.0.300": "10.0.0.300" is not a valid host name or IP address; ${FORM}`],
    ['deploy@', undefined, `hosts: bad entry "deploy@": no host; ${FORM}`],
    [`deploy@${'a'.repeat(64)}`, undefined, `hosts: bad entry "deploy@${'a'.repeat(64)}": "${'a'.repeat(64)}" is not a valid host name or IP address; ${FORM}`],
    ['deploy@[10.0.0.1]:22', undefined, `hosts: bad entry "deploy@[10.0.0.1]:22": "10.0.0.1" is not an IPv6 address (brackets are only for IPv6); ${FORM}`],
    ['deploy@[::1', undefined, `hosts: bad entry "deploy@[::1": "[" without a closing "]"; ${FORM}`],
    ['deploy@[::1]2222', undefined, `hosts: bad entry "deploy@[::1]2222": unexpected "2222" after "]"; ${FORM}`],
    ['deploy@h]', undefined, `hosts: bad entry "deploy@h]": brackets must enclose an IPv6 address, as [2001:db8::1]:22; ${FORM}`],
    [
      'deploy@2001:db8::1:x:22',
      undefined,
      `hosts: bad entry "deploy@2001:db8::1:x:22": "2001:db8::1:x:22" is not a valid host; an IPv6 address with a port goes in brackets, as [2001:db8::1]:22; ${FORM}`,
    ],
    ['deploy@web1 deploy@web2', undefined, `hosts: bad entry "deploy@web1 deploy@web2": it contains a space (separate servers with commas or newlines); ${FORM}`],
    ['deploy@h\tx', undefined, `hosts: bad entry "deploy@h?x": it contains a tab (separate servers with commas or newlines); ${FORM}`],
    ['deploy@h;reboot', undefined, `hosts: bad entry "deploy@h;reboot": it contains ";"; ${FORM}`],
    ['deploy@h$(id)', undefined, `hosts: bad entry "deploy@h$(id)": it contains "$"; ${FORM}`],
    ['deploy@`id`', undefined, `hosts: bad entry "deploy@\`id\`": it contains "\`"; ${FORM}`],
    ["deploy@'h'", undefined, `hosts: bad entry "deploy@'h'": it contains "'"; ${FORM}`],
    ['deploy@h|x', undefined, `hosts: bad entry "deploy@h|x": it contains "|"; ${FORM}`],
    ['deploy@h&', undefined, `hosts: bad entry "deploy@h&": it contains "&"; ${FORM}`],
    ['deploy@h/x', undefined, `hosts: bad entry "deploy@h/x": it contains "/"; ${FORM}`],
    ['deploy@h\u0000x', undefined, `hosts: bad entry "deploy@h?x": it contains a control character (0x00); ${FORM}`],
    ['deploy@web1\ndeploy@web1', undefined, 'hosts: "deploy@web1" is listed twice; list each server once'],
    ['deploy@web1,deploy@WEB1:22', undefined, 'hosts: "deploy@WEB1:22" is listed twice (same server as "deploy@web1"); list each server once'],
    ['web1, deploy@web1', 'deploy', 'hosts: "deploy@web1" is listed twice (same server as "web1"); list each server once'],
    ['web1', 'bad user', 'ssh-user: the user "bad user" may only contain letters, digits, "_", "." and "-" and must not start with a digit, "." or "-"'],
  ];
  test.each(bad)('%j (default user %s)', (value, defaultUser, message) => {
    let caught: unknown;
    try {
      parseHosts(value, defaultUser);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(InputError);
    const err = caught as InputError;
    expect(err.message).toBe(message);
    expect(err.input).toBe(message.startsWith('ssh-user') ? 'ssh-user' : 'hosts');
    expect(err.oneLine()).not.toMatch(/\n/);
  });
});
