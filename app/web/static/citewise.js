// Citation links in the chat show their own answer's source card in the sources panel.
(() => {
  const CITE = /^#cw-s-([0-9a-f]+)-(\d+)$/;

  function showSource(aid, n) {
    const set = document.getElementById(`cw-set-${aid}`);
    if (!set) return false;
    document.querySelectorAll(".cw-set").forEach((s) => s.classList.toggle("cw-active", s === set));
    document.querySelectorAll(".cw-source.cw-focus").forEach((c) => c.classList.remove("cw-focus"));
    document.querySelectorAll(".cw-cite.cw-current").forEach((c) => c.classList.remove("cw-current"));
    document
      .querySelectorAll(`.cw-cite[href="#cw-s-${aid}-${n}"]`)
      .forEach((c) => c.classList.add("cw-current"));
    const card = document.getElementById(`cw-s-${aid}-${n}`);
    if (card) {
      card.classList.add("cw-focus");
      card.scrollIntoView({ block: "nearest", behavior: "smooth" });
    }
    return true;
  }

  document.addEventListener(
    "click",
    (event) => {
      const link = event.target.closest && event.target.closest("a[href^='#cw-s-']");
      if (!link) return;
      const match = CITE.exec(link.getAttribute("href") || "");
      if (!match) return;
      event.preventDefault();
      event.stopPropagation();
      showSource(match[1], match[2]);
    },
    true,
  );
})();

// On a phone the conversation list would cover the chat: start with it folded away.
(() => {
  const NARROW = 768;
  if (window.innerWidth >= NARROW) return;
  const started = Date.now();
  const fold = setInterval(() => {
    const sidebar = document.getElementById("cw-sidebar");
    if (sidebar && sidebar.classList.contains("open")) {
      sidebar.querySelector(".toggle-button")?.click();
      clearInterval(fold);
    } else if (Date.now() - started > 15000) {
      clearInterval(fold);
    }
  }, 200);
})();
