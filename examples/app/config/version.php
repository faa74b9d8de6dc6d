<?php

declare(strict_types=1);

// The application version shown by / and /health (tests overwrite this file).
return '1.0.0';
