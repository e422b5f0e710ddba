/* What a lecturer expects of a deck beyond reveal.js's own plugins, with nothing to download:
   list items revealed one by one, code walk-throughs, a copy button, a slide menu (M) and the
   lesson's stamp on every printed page. Inlined into every deck by scripts/slides.py. */
const DeckExtras = {
  id: 'deck-extras',

  init(reveal) {
    const root = reveal.getRevealElement();
    revealItemByItem(root);
    stepThroughLines(reveal, root);
    addCopyButtons(root);
    addSlideMenu(reveal);
    reveal.on('pdf-ready', () => stampEveryPage(root));
  },
};

/* A cell tagged `incremental`: each list item is a fragment of its own. */
function revealItemByItem(root) {
  for (const item of root.querySelectorAll('.celltag_incremental li')) {
    item.classList.add('fragment');
  }
}

/* A cell with `steps="1-2|4|6-8"` (reveal.js's data-line-numbers syntax): the first range is
   lit when the slide opens, each next one is a fragment step; other lines are dimmed. */
function stepThroughLines(reveal, root) {
  for (const block of root.querySelectorAll('.line-steps[data-line-numbers]')) {
    const steps = block.dataset.lineNumbers.split('|').map(parseLines);
    block.deckSteps = steps;
    for (let n = 1; n < steps.length; n++) {
      const marker = document.createElement('span');
      marker.className = 'fragment line-step';
      marker.dataset.step = String(n);
      block.appendChild(marker);
    }
    showStep(block);
  }
  const update = (event) => {
    const slide = event.currentSlide || reveal.getCurrentSlide();
    if (slide) slide.querySelectorAll('.line-steps').forEach(showStep);
  };
  reveal.on('fragmentshown', update);
  reveal.on('fragmenthidden', update);
  reveal.on('slidechanged', update);
}

function parseLines(step) {
  const lines = new Set();
  for (const part of step.split(',')) {
    const [first, last] = part.split('-').map((n) => parseInt(n, 10));
    for (let n = first; n <= (isNaN(last) ? first : last); n++) lines.add(n);
  }
  return lines;
}

function showStep(block) {
  const shown = block.querySelectorAll('.line-step.visible').length;
  const lit = block.deckSteps[shown];
  block.dataset.step = String(shown);
  block.querySelectorAll('pre > .line').forEach((line, index) => {
    line.classList.toggle('lit', lit.has(index + 1));
    line.classList.toggle('dimmed', !lit.has(index + 1));
  });
}

/* A "Copy" button on every code box: the code as the author wrote it, to paste and run. */
function addCopyButtons(root) {
  for (const editor of root.querySelectorAll('.jp-InputArea-editor')) {
    const button = document.createElement('button');
    button.className = 'copy-code deck-chrome';
    button.type = 'button';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy this code');
    button.addEventListener('click', () => copyCode(editor, button));
    editor.appendChild(button);
  }
}

function copyCode(editor, button) {
  const text = editor.querySelector('pre').innerText.replace(/[ \t]+$/gm, '').trimEnd() + '\n';
  const done = () => {
    button.textContent = 'Copied';
    setTimeout(() => { button.textContent = 'Copy'; }, 1500);
  };
  if (navigator.clipboard && navigator.clipboard.writeText) {
    navigator.clipboard.writeText(text).then(done, () => copyWithSelection(text, done));
  } else {
    copyWithSelection(text, done);
  }
}

function copyWithSelection(text, done) {
  const area = document.createElement('textarea');
  area.value = text;
  document.body.appendChild(area);
  area.select();
  if (document.execCommand('copy')) done();
  area.remove();
}

/* The slide menu: M (or the button) lists every slide by its heading; a click goes there. */
function addSlideMenu(reveal) {
  const menu = document.createElement('nav');
  menu.className = 'deck-menu deck-chrome';
  menu.setAttribute('aria-label', 'Slides');
  menu.hidden = true;
  const list = document.createElement('ol');
  menu.appendChild(list);
  const button = document.createElement('button');
  button.className = 'deck-menu-button deck-chrome';
  button.type = 'button';
  button.textContent = '☰';
  button.setAttribute('aria-label', 'Slide menu (M)');
  const toggle = (open = menu.hidden) => {
    menu.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    if (open) {
      listSlides(reveal, list, () => toggle(false));
      const current = reveal.getSlides().indexOf(reveal.getCurrentSlide());
      const entry = list.children[Math.max(current, 0)];
      list.querySelectorAll('.current').forEach((e) => e.classList.remove('current'));
      entry.classList.add('current');
      entry.querySelector('a').focus();
    }
  };
  button.addEventListener('click', () => toggle());
  menu.addEventListener('keydown', (event) => {
    event.stopPropagation();  // keys typed in the menu are not reveal.js's (Esc: overview)
    if (event.key === 'Escape') toggle(false);
  });
  reveal.getRevealElement().append(menu, button);
  reveal.addKeyBinding({keyCode: 77, key: 'M', description: 'Slide menu'}, () => toggle());
}

/* One entry per slide, made when the menu opens: only then has reveal.js told stacks of
   vertical slides from the slides inside them. */
function listSlides(reveal, list, close) {
  list.replaceChildren();
  reveal.getSlides().forEach((slide, index) => {
    const heading = slide.querySelector('h1, h2');
    const title = (heading || slide).textContent.replace('¶', '').trim().slice(0, 80);
    const entry = document.createElement('li');
    const link = document.createElement('a');
    const where = reveal.getIndices(slide);
    link.href = '#';
    link.textContent = `${index + 1}. ${title}`;
    if (/\(cont\.\)$/.test(title)) entry.className = 'continued';
    link.addEventListener('click', (event) => {
      event.preventDefault();
      close();
      reveal.slide(where.h, where.v);
    });
    entry.appendChild(link);
    list.appendChild(entry);
  });
}

/* ?print-pdf: the lesson's stamp (course, lesson, version, date) in the corner of every page. */
function stampEveryPage(root) {
  const stamp = root.querySelector('.deck-stamp');
  for (const page of document.querySelectorAll('.pdf-page')) {
    if (!page.querySelector('.deck-stamp')) page.appendChild(stamp.cloneNode(true));
  }
}
