#pragma once
// The web page at GET /: one self-contained HTML document (inline CSS and JavaScript, no external
// assets, so it works offline and behind any proxy). A person drops or picks a photo; the page
// POSTs it to /v1/predict as the raw body and shows the top-k classes with probability bars and the
// latency (the server's breakdown and the round trip). It finds the model's name at GET /v2 and its
// metadata at GET /v2/models/{name}, and waits for /v2/health/ready while the model warms up.
//
// Element ids the browser test relies on (tests/js/serve_page.js): #file (the file input), #results
// (data-state="done" once predictions are shown), .row .label / .row .prob in it, #latency, #error.
#include <string>

namespace tlab::serve {

const std::string& page_html();

}  // namespace tlab::serve
