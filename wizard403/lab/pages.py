"""Bodies shaped like the ones real producers send (nginx, Cloudflare, Django, S3, the lab's own app pages).

Markup and the short vendor strings a matcher must recognise follow the producers (see
../shared/research/403-signatures.md); every explanatory sentence is the lab's own wording.
"""

from __future__ import annotations

import html
import json
from typing import Any

# --- nginx ------------------------------------------------------------------------------------------------------

NGINX_REASONS = {301: "Moved Permanently", 403: "Forbidden", 404: "Not Found", 405: "Not Allowed"}
_NGINX_PADDING = b"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n" * 6


def nginx_wants_padding(user_agent: str) -> bool:
    """nginx pads its error pages for MSIE and Chrome clients, so their own 'friendly' page does not replace it."""
    return ("MSIE " in user_agent and "Opera" not in user_agent) or "Chrome/" in user_agent


def nginx_error_page(status: int, user_agent: str = "") -> bytes:
    """nginx's built-in error page, byte for byte as with `server_tokens off;` (CRLF line ends)."""
    line = f"{status} {NGINX_REASONS[status]}"
    page = (
        f"<html>\r\n<head><title>{line}</title></head>\r\n<body>\r\n<center><h1>{line}</h1></center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    ).encode("ascii")
    if status >= 400 and nginx_wants_padding(user_agent):
        page += _NGINX_PADDING
    return page


# --- the lab's own application pages ------------------------------------------------------------------------------


def app_page(title: str, heading: str, *paragraphs: str, extra_html: str = "") -> bytes:
    """A small, plain HTML page of the lab's fictional 'Lab Reports' application."""
    body = "\n".join(f"  <p>{html.escape(p)}</p>" for p in paragraphs)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n  <meta charset="utf-8">\n'
        f"  <title>{html.escape(title)}</title>\n</head>\n<body>\n"
        f"  <h1>{html.escape(heading)}</h1>\n{body}\n{extra_html}"
        "</body>\n</html>\n"
    ).encode("utf-8")


def json_body(data: Any, pretty: bool = False) -> bytes:
    if pretty:
        return (json.dumps(data, indent=2) + "\n").encode("utf-8")
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


# --- Cloudflare ---------------------------------------------------------------------------------------------------

CLOUDFLARE_NO_STORE = "private, max-age=0, no-store, no-cache, must-revalidate, post-check=0, pre-check=0"


def cloudflare_block_page(host: str, ray: str, client_ip: str) -> bytes:
    """Cloudflare's firewall block page for error 1020; `ray` is the hex part of the cf-ray header."""
    host_e, ip_e = html.escape(host), html.escape(client_ip)
    return f"""<!DOCTYPE html>
<!--[if lt IE 7]> <html class="no-js ie6 oldie" lang="en-US"> <![endif]-->
<!--[if gt IE 8]><!--> <html class="no-js" lang="en-US"> <!--<![endif]-->
<head>
<title>Access denied | {host_e} used Cloudflare to restrict access</title>
<meta charset="UTF-8" />
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8" />
<meta name="robots" content="noindex, nofollow" />
<meta name="viewport" content="width=device-width,initial-scale=1" />
<link rel="stylesheet" id="cf_styles-css" href="/cdn-cgi/styles/cf.errors.css" />
</head>
<body>
  <div id="cf-wrapper">
    <div id="cf-error-details" class="cf-error-details-wrapper">
      <div class="cf-wrapper cf-header cf-error-overview">
        <h1>
          <span class="cf-error-type" data-translate="error">Error 1020</span>
        </h1>
        <h2 class="cf-subheadline" data-translate="error_desc">Access denied</h2>
        <p>This site is protected by a firewall rule that turned your request away.</p>
      </div>
      <section class="cf-section cf-wrapper">
        <div class="cf-columns two">
          <div class="cf-column">
            <h2 data-translate="blocked_why_headline">Why have I been blocked?</h2>
            <p>A security rule set by the owner of {host_e} matched something about this request, such as the
            address it came from, the page, or the way it was sent, and the request was stopped at the edge.</p>
          </div>
          <div class="cf-column">
            <h2 data-translate="blocked_resolve_headline">What can I do to resolve this?</h2>
            <p>Write to the owner of the site. Tell them what you were doing when this page appeared and quote
            the Ray ID shown at the bottom of this page, so they can find the rule that fired.</p>
          </div>
        </div>
      </section>
      <div class="cf-error-footer cf-wrapper w-240 lg:w-full py-10 sm:py-4 sm:px-8 mx-auto text-center sm:text-left border-solid border-0 border-t border-gray-300">
        <p class="text-13">
          <span class="cf-footer-item sm:block sm:mb-1">Cloudflare Ray ID: <strong class="font-semibold">{ray}</strong></span>
          <span class="cf-footer-separator sm:hidden">&bull;</span>
          <span class="cf-footer-item sm:block sm:mb-1">Your IP: {ip_e}</span>
          <span class="cf-footer-separator sm:hidden">&bull;</span>
          <span class="cf-footer-item sm:block sm:mb-1"><span>Performance &amp; security by</span> Cloudflare</span>
        </p>
      </div>
    </div>
  </div>
</body>
</html>
""".encode("utf-8")


def cloudflare_challenge_page(host: str, ray: str) -> bytes:
    """Cloudflare's managed-challenge interstitial; the script it names is not served by the lab."""
    host_e = html.escape(host)
    return f"""<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta http-equiv="X-UA-Compatible" content="IE=Edge">
<meta name="robots" content="noindex,nofollow">
<meta name="viewport" content="width=device-width,initial-scale=1">
</head><body>
<div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">{host_e}</h1>
<p>Checking that the visitor is a real browser. This takes a few seconds.</p>
<noscript><div class="h2">Turn on JavaScript and cookies to continue.</div></noscript>
</div></div>
<script>(function(){{window._cf_chl_opt={{cvId: '3',cZone: "{host_e}",cType: 'managed',cRay: '{ray}',cH: 'lab',cUPMDTk: "/shop/deals?__cf_chl_tk=lab"}};
var cpo=document.createElement('script');cpo.src='/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1?ray={ray}';
document.getElementsByTagName('head')[0].appendChild(cpo);}}());</script>
<div class="footer" role="contentinfo"><div class="footer-inner"><div class="clearfix diagnostic-wrapper">
<div class="ray-id">Ray ID: <code>{ray}</code></div></div>
<div class="text-center" id="footer-text">Performance &amp; security by Cloudflare</div></div></div>
</body></html>
""".encode("utf-8")


# --- Django -------------------------------------------------------------------------------------------------------


def django_csrf_page(reason: str, no_cookie: bool) -> bytes:
    """Django's CSRF failure page as a development server (DEBUG=True) shows it, with the reason given."""
    cookie_note = (
        "\n  <p>This form needs a CSRF cookie, and your browser did not send one. If cookies are turned off for "
        "this site, turn them on for it, or at least for requests to the same site.</p>\n"
        if no_cookie
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta http-equiv="content-type" content="text/html; charset=utf-8">
  <meta name="robots" content="NONE,NOARCHIVE">
  <title>403 Forbidden</title>
  <style>
    html * {{ padding:0; margin:0; }}
    body * {{ padding:10px 20px; }}
    body * * {{ padding:0; }}
    body {{ font-family: sans-serif; background:#eee; color:#000; }}
    body > :where(header, main, footer) {{ border-bottom:1px solid #ddd; }}
    h1 {{ font-weight:normal; margin-bottom:.4em; }}
    h1 span {{ font-size:60%; color:#666; font-weight:normal; }}
    #info {{ background:#f6f6f6; }}
    #info ul {{ margin: 0.5em 4em; }}
    #info p, #summary p {{ padding-top:10px; }}
    #summary {{ background: #ffc; }}
    #explanation {{ background:#eee; border-bottom: 0px none; }}
  </style>
</head>
<body>
<div id="summary">
  <h1>Forbidden <span>(403)</span></h1>
  <p>CSRF verification failed. Request aborted.</p>
{cookie_note}</div>

<div id="info">
  <h2>Help</h2>
    <p>Reason given for failure:</p>
    <pre>
    {html.escape(reason)}
    </pre>

  <p>Forms on this site carry a hidden one-time token that must match a cookie the site set when the form was
  shown. The check failed, which usually means one of these:</p>
  <ul>
    <li>the form was loaded long ago, or before you signed in again, so its token is out of date;</li>
    <li>the browser refuses cookies for this site, so there was nothing to compare the token with;</li>
    <li>the template forgot the <code>{{% csrf_token %}}</code> tag inside its <code>&lt;form&gt;</code>;</li>
    <li>the request came from a page on another origin that is not listed in CSRF_TRUSTED_ORIGINS.</li>
  </ul>
  <p>Reload the page that holds the form and send it again.</p>

  <p>You see this detail because DEBUG = True in the settings. Production sites show only the first lines.</p>
</div>
</body>
</html>
""".encode("utf-8")


# --- Amazon S3 ----------------------------------------------------------------------------------------------------


def s3_error_xml(code: str, message: str, request_id: str, host_id: str, **extra: str) -> bytes:
    """S3's XML error document; `extra` adds elements such as X-Amz-Expires, Expires and ServerTime."""
    fields = "".join(f"<{name}>{html.escape(value)}</{name}>" for name, value in extra.items())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{html.escape(message)}</Message>{fields}"
        f"<RequestId>{request_id}</RequestId><HostId>{host_id}</HostId></Error>"
    ).encode("utf-8")
