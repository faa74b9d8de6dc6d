<?php
// FastCGI client for the pre-switch check: one GET straight to the php-fpm pool, with SCRIPT_FILENAME and
// DOCUMENT_ROOT inside the new release. Run as `php -r <this code, without the opening tag> -- socket script
// docroot uri host timeout [limit]`; prints "<status>\n<body excerpt>".
[$sock, $script, $docroot, $uri, $host, $timeout, $limit] = array_pad(array_slice($argv, 1), 7, '300');
$addr = $sock[0] === '/' ? "unix://$sock" : "tcp://$sock";
$fp = @stream_socket_client($addr, $errno, $errstr, (float) $timeout);
if (!$fp) { fwrite(STDERR, "cannot connect to php-fpm at $sock: $errstr\n"); exit(2); }
stream_set_timeout($fp, (int) ceil((float) $timeout));
$path = parse_url($uri, PHP_URL_PATH) ?: '/';
$query = (string) parse_url($uri, PHP_URL_QUERY);
$params = [
  'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_SOFTWARE' => 'php-deploy', 'REQUEST_METHOD' => 'GET',
  'SCRIPT_FILENAME' => $script, 'SCRIPT_NAME' => substr($script, strlen($docroot)) ?: '/',
  'DOCUMENT_ROOT' => $docroot, 'REQUEST_URI' => $path . ($query === '' ? '' : "?$query"),
  'DOCUMENT_URI' => $path, 'QUERY_STRING' => $query, 'SERVER_NAME' => $host, 'HTTP_HOST' => $host,
  'SERVER_PORT' => '80', 'SERVER_ADDR' => '127.0.0.1', 'SERVER_PROTOCOL' => 'HTTP/1.1',
  'REMOTE_ADDR' => '127.0.0.1', 'REMOTE_PORT' => '0', 'CONTENT_LENGTH' => '0',
  'HTTP_USER_AGENT' => 'php-deploy', 'PHP_DEPLOY_CHECK' => 'pre-switch',
];
$rec = function (int $type, string $body): string {
  $pad = (8 - strlen($body) % 8) % 8;
  return pack('CCnnCC', 1, $type, 1, strlen($body), $pad, 0) . $body . str_repeat("\0", $pad);
};
$len = fn (int $n): string => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
$body = '';
foreach ($params as $k => $v) { $body .= $len(strlen($k)) . $len(strlen($v)) . $k . $v; }
$req = $rec(1, pack('nCx5', 1, 0));
foreach (str_split($body, 65528) as $chunk) { $req .= $rec(4, $chunk); }
fwrite($fp, $req . $rec(4, '') . $rec(5, ''));
$read = function (int $n) use ($fp) {
  $buf = '';
  while (strlen($buf) < $n) {
    $part = fread($fp, $n - strlen($buf));
    if ($part === false || $part === '') {
      if (stream_get_meta_data($fp)['timed_out']) { fwrite(STDERR, "php-fpm did not answer in time\n"); exit(3); }
      return null;
    }
    $buf .= $part;
  }
  return $buf;
};
$out = ''; $err = '';
while (($h = $read(8)) !== null) {
  $r = unpack('Cv/Ct/nid/nlen/Cpad/Cres', $h);
  $c = $r['len'] ? (string) $read($r['len']) : '';
  if ($r['pad']) { $read($r['pad']); }
  if ($r['t'] === 6) { $out .= $c; } elseif ($r['t'] === 7) { $err .= $c; } elseif ($r['t'] === 3) { break; }
}
[$head, $content] = array_pad(explode("\r\n\r\n", $out, 2), 2, '');
$status = 200;
foreach (explode("\r\n", $head) as $line) {
  if (stripos($line, 'Status:') === 0) { $status = (int) trim(substr($line, 7)); }
}
if ($out === '') { $status = 502; $content = $err !== '' ? $err : 'empty response from php-fpm'; }
echo $status, "\n", substr(preg_replace('/\s+/', ' ', $content . ($err !== '' ? " [stderr: $err]" : '')), 0, (int) $limit), "\n";
