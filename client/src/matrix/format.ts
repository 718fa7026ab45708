import DOMPurify from 'dompurify';
import { marked } from 'marked';

/**
 * HTML in messages: what we send (markdown rendered) and what we show (anyone's HTML, so
 * hostile until sanitised). The allowed set follows the spec's recommendation for
 * `org.matrix.custom.html`.
 */

const ALLOWED_TAGS = [
  'font', 'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol', 'sup', 'sub', 'li', 'b', 'i', 'u',
  'strong', 'em', 's', 'strike', 'code', 'hr', 'br', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'pre',
  'span', 'details', 'summary',
];
const ALLOWED_ATTR = ['href', 'data-mx-color', 'data-mx-bg-color', 'data-mx-spoiler', 'color', 'start', 'class', 'title'];

let hooked = false;
function hook(): void {
  if (hooked) return;
  hooked = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (!/^(https?:|mailto:|matrix:)/i.test(href)) node.removeAttribute('href');
      node.setAttribute('target', '_blank');
      node.setAttribute('rel', 'noopener noreferrer nofollow');
    }
    // Only code-highlighting classes; others could restyle the app.
    const cls = node.getAttribute('class');
    if (cls !== null) {
      const kept = cls.split(/\s+/).filter((c) => c.startsWith('language-'));
      if (kept.length) node.setAttribute('class', kept.join(' '));
      else node.removeAttribute('class');
    }
  });
}

export function sanitizeHtml(html: string): string {
  hook();
  // Reply fallbacks quote the parent; we show the parent ourselves.
  const withoutReply = html.replace(/<mx-reply>[\s\S]*?<\/mx-reply>/gi, '');
  return DOMPurify.sanitize(withoutReply, { ALLOWED_TAGS, ALLOWED_ATTR, ALLOW_DATA_ATTR: false, KEEP_CONTENT: true });
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * Renders the composer's markdown. Returns undefined when the result is just the text (no
 * formatting), so plain messages carry no formatted_body.
 */
export function markdownToHtml(text: string): string | undefined {
  const html = (marked.parse(text, { async: false, gfm: true, breaks: true }) as string).trim();
  const plain = `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`;
  if (html === plain || html === `<p>${escapeHtml(text)}</p>`) return undefined;
  const clean = sanitizeHtml(html);
  // A single paragraph needs no wrapper in a chat bubble.
  return /^<p>[\s\S]*<\/p>$/.test(clean) && clean.indexOf('<p>', 1) < 0 ? clean.slice(3, -4) : clean;
}

/** The body without the `> <@user> quoted` fallback lines a reply carries. */
export function stripReplyFallback(body: string): string {
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('> ')) i++;
  if (i > 0 && lines[i] === '') i++;
  return i > 0 ? lines.slice(i).join('\n') : body;
}
