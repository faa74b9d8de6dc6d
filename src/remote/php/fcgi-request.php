<?php
// FastCGI client for the pre-switch check: one GET straight to the php-fpm pool inside the new release,
// for the script nginx would run for the URL (`try_files $uri $uri/ /<front controller>?$query_string`,
// `location ~ [^/]\.php(/|$)` with `fastcgi_split_path_info ^(.+?\.php)(/.*)$`), with the FastCGI
// parameters nginx's fastcgi_params would pass. Run as `php -r <this code, without the opening tag> --
// socket docroot url front-controller timeout [limit]` (url: the health URL). Prints five lines:
//   status | the script that answered (or what answered instead) | Location | final | body excerpt
// where `final` is non-empty when the answer cannot change by waiting (a PHP fatal error, no such script).
[$sock, $docroot, $url, $front, $timeout, $limit] = array_pad(array_slice($argv, 1), 6, '300');
$limit = (int) $limit;
$emit = function (int $status, string $script, string $location, string $final, string $body) use ($limit): void {
  $one = fn (string $s): string => trim(preg_replace('/\s+/', ' ', $s));
  echo $status, "\n", $one($script), "\n", $one($location), "\n", $one($final), "\n", substr($one($body), 0, $limit), "\n";
  exit(0);
};

// The URL as nginx sees it: $uri decoded, slashes merged, dot segments resolved (never above the root).
$parts = parse_url($url);
if ($parts === false) { $emit(400, '', '', 'bad health-url', "cannot parse $url"); }
$rawPath = $parts['path'] ?? '/';
$query = $parts['query'] ?? '';
$https = ($parts['scheme'] ?? 'http') === 'https';
$hostName = $parts['host'] ?? 'localhost';
$port = (string) ($parts['port'] ?? ($https ? 443 : 80));
$httpHost = $hostName . (isset($parts['port']) ? ":$port" : '');
$segments = [];
foreach (explode('/', rawurldecode($rawPath)) as $seg) {
  if ($seg === '' || $seg === '.') { continue; }
  if ($seg === '..') {
    if ($segments === []) { $emit(400, '', '', 'the path leaves the document root', $rawPath); }
    array_pop($segments);
    continue;
  }
  $segments[] = $seg;
}
$uri = '/' . implode('/', $segments) . ($segments !== [] && str_ends_with($rawPath, '/') ? '/' : '');
$root = realpath($docroot);
if ($root === false || !is_dir($root)) { $emit(404, '', '', 'no document root', "$docroot does not exist"); }

// Which script: the .php file the path names (PATH_INFO after it), a directory's index.php, a static
// file (php-fpm is not asked), or the front controller.
$pathInfo = '';
$how = '';
if (preg_match('~^(.+?\.php)(/.*)?$~', $uri, $m)) {
  $scriptName = $m[1];
  $pathInfo = $m[2] ?? '';
  if (!is_file($root . $scriptName)) {
    $emit(404, $scriptName, '', "$scriptName does not exist under the document root", 'nginx would answer 404');
  }
} elseif ($uri !== '/' && is_file($root . $uri)) {
  $emit(200, "static file $uri", '', '', 'served by the web server itself, not by php-fpm');
} elseif (is_dir($root . $uri)) {
  if (!str_ends_with($uri, '/')) { $emit(301, '', "$uri/", '', 'nginx redirects a directory to its path with a trailing slash'); }
  $index = null;
  foreach (array_unique(['index.php', basename($front)]) as $name) {
    if (is_file($root . $uri . $name)) { $index = $name; break; }
  }
  if ($index === null) { $emit(403, $uri, '', "the directory $uri has no index.php", 'nginx would answer 403'); }
  $scriptName = $uri . $index;
} else {
  $scriptName = '/' . ltrim($front, '/');
  $how = ' (front controller)';
  if (!is_file($root . $scriptName)) {
    $emit(404, $scriptName . $how, '', "the front controller $scriptName does not exist under the document root", 'nginx would answer 404');
  }
}

$requestUri = $rawPath . ($query === '' ? '' : "?$query");
$params = [
  'GATEWAY_INTERFACE' => 'CGI/1.1', 'SERVER_SOFTWARE' => 'php-deploy', 'REQUEST_METHOD' => 'GET',
  'SCRIPT_FILENAME' => $root . $scriptName, 'SCRIPT_NAME' => $scriptName, 'PATH_INFO' => $pathInfo,
  'DOCUMENT_ROOT' => $root, 'DOCUMENT_URI' => $scriptName . $pathInfo, 'REQUEST_URI' => $requestUri,
  'QUERY_STRING' => $query, 'REQUEST_SCHEME' => $https ? 'https' : 'http', 'SERVER_NAME' => $hostName,
  'HTTP_HOST' => $httpHost, 'SERVER_PORT' => $port, 'SERVER_ADDR' => '127.0.0.1',
  'SERVER_PROTOCOL' => 'HTTP/1.1', 'REMOTE_ADDR' => '127.0.0.1', 'REMOTE_PORT' => '0',
  'CONTENT_TYPE' => '', 'CONTENT_LENGTH' => '', 'REDIRECT_STATUS' => '200',
  'HTTP_USER_AGENT' => 'php-deploy', 'PHP_DEPLOY_CHECK' => 'pre-switch',
];
if ($https) { $params['HTTPS'] = 'on'; }
// `-` as the socket: print the request's parameters instead of sending it (for tests of the resolution).
if ($sock === '-') { echo json_encode($params, JSON_UNESCAPED_SLASHES), "\n"; exit(0); }
$addr = $sock[0] === '/' ? "unix://$sock" : "tcp://$sock";
$fp = @stream_socket_client($addr, $errno, $errstr, (float) $timeout);
if (!$fp) { fwrite(STDERR, "cannot connect to php-fpm at $sock: $errstr\n"); exit(2); }
stream_set_timeout($fp, (int) ceil((float) $timeout));
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
$location = '';
foreach (explode("\r\n", $head) as $line) {
  if (stripos($line, 'Status:') === 0) { $status = (int) trim(substr($line, 7)); }
  if (stripos($line, 'Location:') === 0) { $location = trim(substr($line, 9)); }
}
// PHP answers 302 to a bare Location header, as nginx then passes it on.
if ($location !== '' && !preg_match('/^Status:/mi', $head)) { $status = 302; }
if ($out === '') { $status = 502; $content = $err !== '' ? $err : 'empty response from php-fpm'; }
$fatal = '';
if (preg_match('/PHP (Fatal|Parse) error:\s*(.{0,240})/s', $err, $f) || preg_match('/(Fatal|Parse) error<\/b>:\s*(.{0,240})/s', $content, $f)) {
  $fatal = 'PHP ' . strtolower($f[1]) . ' error: ' . strip_tags($f[2]);
}
// A fatal error is the whole story; otherwise the body and what PHP wrote to stderr.
$emit($status, $scriptName . $how . ($pathInfo !== '' ? " (PATH_INFO $pathInfo)" : ''), $location, $fatal, $fatal !== '' ? '' : $content . ($err !== '' ? " [stderr: $err]" : ''));
