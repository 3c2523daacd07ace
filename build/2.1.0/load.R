# Load a dprk-relations release into R: a named list of tibbles, one per table.
# Every release carries this file beside its datapackage.json; in the
# repository it is datapackage/load.R.
#
#   source("load.R")
#   rel <- load_dprk_relations(".")                  # the release folder
#   rel <- load_dprk_relations("build/0.1.0")        # release directory
#   rel <- load_dprk_relations("dprk-relations-0.1.0.zip")
#   rel$visits; attr(rel$visits$confidence, "description")
#
# Needs only base R, readr and jsonlite. Column types come from the Table
# Schemas in datapackage.json, never from guessing, so a column has the same R
# type in every release whatever its values:
#
#   string             character
#   string + enum      factor, levels = the enum in its order; an ordered
#                      factor when the field has categoriesOrdered: true
#   integer            integer when the schema bounds the field inside R's
#                      32-bit range (e.g. cow_code 2..999); otherwise double
#                      (e.g. source_count, which has no maximum), because R
#                      has no 64-bit integer and a double holds every whole
#                      number up to 2^53 exactly. Counts that should be
#                      integer in R need a `maximum` in the schema.
#   number             double
#   boolean            logical, from the field's trueValues / falseValues
#                      (readr's col_logical would also accept T, 1, yes...)
#   date               Date (YYYY-MM-DD)
#
# Empty cells (the schema's missingValues) are NA. Any cell that does not
# parse as its type, or a header that differs from the schema, stops the load:
# readr would otherwise turn it into NA with only a warning.
#
# Each column carries its field description as attr(, "description"); each
# table carries the table's title and description.
#
# Download a published version (Python's `dprk-relations download` in R):
#
#   rel <- download_dprk_relations("1.0.0")            # or "latest"
#
# looks the version up in the registry of published versions
# (datapackage/registry.json in the repository, or `registry =`: a release
# folder does not hold the registry),
# fetches its archive with download.file() into `dest` (default: the per-user
# cache, $DPRK_RELATIONS_CACHE or tools::R_user_dir("dprk-relations", "cache"))
# unless a good copy is there already, checks its size and sha256 against
# the registry with digest (before anything is unpacked; a file that fails is
# deleted), then loads it with load_dprk_relations(). The address is the
# registry's url_pattern with base_url, which $DPRK_RELATIONS_BASE_URL (or
# `base_url =`) overrides. Needs the digest package as well.
#
# Command line (used by the tests):
#   Rscript load.R summary <release dir | datapackage.json | zip> <out.json>
# writes every table's shape, column classes, levels and all values as JSON.

load_dprk_relations <- local({

  `%||%` <- function(x, y) if (is.null(x)) y else x

  # Where the descriptor is: a release directory, the descriptor itself, or a
  # zip, which is unpacked into a temporary directory that the caller removes.
  locate_descriptor <- function(path, tmp) {
    if (!file.exists(path)) stop("no such file or directory: ", path, call. = FALSE)
    if (dir.exists(path)) {
      desc <- file.path(path, "datapackage.json")
      if (!file.exists(desc)) stop("no datapackage.json in ", path, call. = FALSE)
      return(desc)
    }
    if (grepl("\\.zip$", path, ignore.case = TRUE)) return(unzip_release(path, tmp))
    path
  }

  # A release path is relative and stays inside its folder: the descriptor and
  # the zip come from elsewhere and must not make us read or write outside it.
  unsafe_path <- function(p) {
    grepl("^([/\\\\]|[A-Za-z]:)", p) || any(strsplit(p, "[/\\\\]")[[1]] == "..")
  }

  # Check every entry before extracting anything: utils::unzip would follow
  # "../" and absolute names out of the target directory.
  unzip_release <- function(zip, tmp) {
    names <- utils::unzip(zip, list = TRUE)$Name
    bad <- names[vapply(names, unsafe_path, logical(1))]
    if (length(bad)) {
      stop("refusing zip ", zip, ": unsafe entry path(s) (absolute or with '..'): ",
           paste(utils::head(bad, 5), collapse = ", "), call. = FALSE)
    }
    # The release zip has one top folder dprk-relations-<version>/; accept a
    # descriptor at the top level too, but never guess between several.
    desc <- names[grepl("^([^/]+/)?datapackage\\.json$", names)]
    if (length(desc) != 1) {
      stop("expected one datapackage.json at the top of ", zip, ", found ", length(desc),
           call. = FALSE)
    }
    utils::unzip(zip, exdir = tmp, unzip = "internal")
    file.path(tmp, desc)
  }

  # Turn a resource path (or a schema/dialect given by path) into a file name.
  resolve <- function(rel, base, what) {
    if (!is.character(rel) || length(rel) != 1) {
      stop(what, ": only a single local path is supported", call. = FALSE)
    }
    if (grepl("^[A-Za-z][A-Za-z0-9+.-]*://", rel) || unsafe_path(rel)) {
      stop(what, ": path must be relative and inside the release: ", rel, call. = FALSE)
    }
    file.path(base, rel)
  }

  # Table Schema v2 allows a schema or dialect to be a path to a JSON file.
  inline_or_file <- function(x, base, what) {
    if (is.character(x)) jsonlite::read_json(resolve(x, base, what), simplifyVector = FALSE) else x
  }

  is_csv_table <- function(res) {
    is_table <- identical(res$type, "table") || identical(res$profile, "tabular-data-resource")
    fmt <- res$format %||% (if (is.character(res$path) && grepl("\\.csv$", res$path[[1]])) "csv")
    is_table && identical(tolower(fmt %||% ""), "csv")
  }

  # The levels of a category field: constraints.enum, else v2 categories.
  enum_levels <- function(field) {
    lv <- field$constraints$enum %||%
      lapply(field$categories, function(c) if (is.list(c)) c$value else c)
    if (length(lv)) as.character(unlist(lv)) else NULL
  }

  # TRUE when every value the schema allows fits R's integer (NA_integer_
  # takes -2^31, so the range is +-(2^31 - 1)).
  fits_r_integer <- function(field) {
    con <- field$constraints %||% list()
    if (length(con$enum)) return(all(abs(as.numeric(unlist(con$enum))) <= .Machine$integer.max))
    lo <- con$minimum %||% (if (!is.null(con$exclusiveMinimum)) con$exclusiveMinimum + 1)
    hi <- con$maximum %||% (if (!is.null(con$exclusiveMaximum)) con$exclusiveMaximum - 1)
    !is.null(lo) && !is.null(hi) && lo >= -.Machine$integer.max && hi <= .Machine$integer.max
  }

  date_format <- function(field) {
    fmt <- field$format %||% "default"
    if (fmt == "default") return("%Y-%m-%d")
    if (grepl("%", fmt, fixed = TRUE)) return(fmt)
    stop("field ", field$name, ": unsupported date format ", fmt, call. = FALSE)
  }

  # Booleans are read as text and converted afterwards (see to_logical).
  col_spec <- function(field) {
    type <- field$type %||% "string"
    switch(type,
      string = {
        lv <- enum_levels(field)
        if (is.null(lv)) readr::col_character()
        else readr::col_factor(levels = lv, ordered = isTRUE(field$categoriesOrdered))
      },
      any = readr::col_character(),
      integer = if (fits_r_integer(field)) readr::col_integer() else readr::col_double(),
      number = readr::col_double(),
      boolean = readr::col_character(),
      date = readr::col_date(date_format(field)),
      stop("field ", field$name, ": type '", type, "' is not supported by this loader",
           call. = FALSE))
  }

  to_logical <- function(x, field, file) {
    yes <- unlist(field$trueValues %||% list("true", "True", "TRUE", "1"))
    no <- unlist(field$falseValues %||% list("false", "False", "FALSE", "0"))
    bad <- unique(x[!is.na(x) & !(x %in% c(yes, no))])
    if (length(bad)) {
      stop(file, ": column ", field$name, " is boolean but has ",
           paste0("'", utils::head(bad, 5), "'", collapse = ", "), call. = FALSE)
    }
    ifelse(is.na(x), NA, x %in% yes)
  }

  # A double read for an integer field must still hold whole numbers.
  check_whole <- function(x, field, file) {
    if (any(!is.na(x) & x != trunc(x))) {
      stop(file, ": column ", field$name, " is integer but has fractions", call. = FALSE)
    }
    x
  }

  missing_values <- function(schema) {
    mv <- schema$missingValues %||% list("")
    # v2 allows {"value": ..., "label": ...} objects as well as plain strings.
    vapply(mv, function(m) if (is.list(m)) as.character(m$value) else as.character(m), "")
  }

  # The header is read as text first so that a renamed, missing or reordered
  # column is reported as such rather than as a pile of parse errors.
  check_header <- function(file, expected, delim, quote, locale) {
    head <- readr::read_delim(file, delim = delim, quote = quote, n_max = 0,
                              col_types = readr::cols(.default = readr::col_character()),
                              locale = locale, trim_ws = FALSE, name_repair = "minimal",
                              progress = FALSE, show_col_types = FALSE)
    got <- names(head)
    if (!identical(got, expected)) {
      stop(file, ": header does not match the schema.\n  expected: ",
           paste(expected, collapse = ","), "\n  found:    ", paste(got, collapse = ","),
           call. = FALSE)
    }
  }

  # readr turns an unparsable cell into NA with a warning; a loader that
  # silently loses values is worse than one that stops.
  read_strict <- function(file, ...) {
    df <- withCallingHandlers(
      readr::read_delim(file, ...),
      vroom_parse_issue = function(w) invokeRestart("muffleWarning"))
    probs <- readr::problems(df)
    if (nrow(probs)) {
      p <- probs[seq_len(min(5, nrow(probs))), ]
      stop(file, ": ", nrow(probs), " cell(s) do not match the schema, e.g. ",
           paste0("line ", p$row, " column ", p$col, ": expected ", p$expected,
                  ", got '", p$actual, "'", collapse = "; "), call. = FALSE)
    }
    df
  }

  read_table <- function(res, base) {
    schema <- inline_or_file(res$schema, base, paste0(res$name, " schema"))
    dialect <- inline_or_file(res$dialect %||% list(), base, paste0(res$name, " dialect"))
    if (identical(dialect$header, FALSE)) stop(res$name, ": a CSV without header is not supported", call. = FALSE)
    fields <- schema$fields
    col_names <- vapply(fields, function(f) f$name, "")
    file <- resolve(res$path, base, res$name)
    delim <- dialect$delimiter %||% ","
    quote <- dialect$quoteChar %||% "\""
    locale <- readr::locale(encoding = res$encoding %||% "UTF-8")

    check_header(file, col_names, delim, quote, locale)
    types <- stats::setNames(lapply(fields, col_spec), col_names)
    df <- read_strict(file, delim = delim, quote = quote,
                      col_types = do.call(readr::cols, types),
                      na = missing_values(schema), locale = locale, trim_ws = FALSE,
                      name_repair = "minimal", progress = FALSE, show_col_types = FALSE,
                      lazy = FALSE)
    attr(df, "spec") <- NULL
    attr(df, "problems") <- NULL
    for (f in fields) df[[f$name]] <- finish_column(df[[f$name]], f, file)
    attr(df, "title") <- res$title
    attr(df, "description") <- res$description
    df
  }

  finish_column <- function(x, field, file) {
    if (identical(field$type, "boolean")) x <- to_logical(x, field, file)
    if (identical(field$type, "integer") && is.double(x)) x <- check_whole(x, field, file)
    attr(x, "description") <- field$description
    x
  }

  function(path) {
    tmp <- tempfile("dprk-relations-")
    on.exit(unlink(tmp, recursive = TRUE), add = TRUE)
    desc_file <- locate_descriptor(path, tmp)
    desc <- tryCatch(jsonlite::read_json(desc_file, simplifyVector = FALSE), error = function(e) {
      stop("not a Data Package descriptor (datapackage.json): ", desc_file, call. = FALSE)
    })
    base <- dirname(desc_file)
    tables <- Filter(is_csv_table, desc$resources)
    if (!length(tables)) stop("no CSV tables in ", desc_file, call. = FALSE)
    out <- lapply(tables, read_table, base = base)
    # lazy = FALSE above: everything is in memory before tmp is removed.
    stats::setNames(out, vapply(tables, function(r) r$name, ""))
  }
})

download_dprk_relations <- local({

  `%||%` <- function(x, y) if (is.null(x)) y else x

  # This file's path when it is being sourced (source() keeps it in its frame as
  # `ofile`) or run by Rscript (--file=): the registry is found beside it.
  this_file <- (function() {
    for (i in rev(seq_len(sys.nframe()))) {
      f <- sys.frame(i)$ofile
      if (is.character(f) && length(f) == 1) return(normalizePath(f))
    }
    arg <- grep("^--file=", commandArgs(FALSE), value = TRUE)
    if (length(arg)) return(normalizePath(sub("^--file=", "", arg[1])))
    NA_character_
  })()
  default_registry <- if (is.na(this_file)) NA_character_ else
    file.path(dirname(dirname(this_file)), "datapackage", "registry.json")

  read_registry <- function(path) {
    if (is.na(path) || !file.exists(path)) {
      stop("cannot find the registry of published versions (", path, "); pass ",
           "registry = \"path/to/datapackage/registry.json\"", call. = FALSE)
    }
    reg <- jsonlite::read_json(path, simplifyVector = FALSE)
    if (!is.list(reg$versions)) stop("not a registry of published versions: ", path, call. = FALSE)
    reg
  }

  resolve_version <- function(version, reg) {
    known <- names(reg$versions)
    known <- known[order(numeric_version(known))]
    if (identical(version, "latest") && length(known)) return(known[length(known)])
    if (!(is.character(version) && length(version) == 1 && version %in% known)) {
      stop("unknown version '", paste(version, collapse = " "), "': the published versions are ",
           paste(known, collapse = ", "), " (or 'latest')", call. = FALSE)
    }
    version
  }

  archive_url <- function(reg, version, entry, base_url) {
    if (!nzchar(base_url) && is.character(entry$url)) return(entry$url)
    if (!nzchar(base_url)) base_url <- reg$base_url %||% ""
    if (!nzchar(base_url)) {
      stop("no download location is set for published releases yet: set DPRK_RELATIONS_BASE_URL ",
           "(or base_url =) to a mirror's address", call. = FALSE)
    }
    url <- reg$url_pattern %||% "{base_url}/v{version}/{archive}"
    url <- sub("{base_url}", sub("/+$", "", base_url), url, fixed = TRUE)
    url <- gsub("{version}", version, url, fixed = TRUE)
    gsub("{archive}", entry$archive, url, fixed = TRUE)
  }

  # NULL when the file has the registry's size and sha256, else what differs.
  archive_problem <- function(file, entry) {
    size <- file.size(file)
    if (!isTRUE(size == entry$bytes)) {
      return(paste0(format(size, scientific = FALSE), " bytes where the registry lists ",
                    format(entry$bytes, scientific = FALSE),
                    " (a transfer cut short, or not the published archive)"))
    }
    got <- digest::digest(file = file, algo = "sha256")
    if (!identical(got, entry$sha256)) {
      return(paste0("sha256 ", got, " where the registry lists ", entry$sha256,
                    " (corrupted or tampered with)"))
    }
    NULL
  }

  function(version = "latest",
           dest = Sys.getenv("DPRK_RELATIONS_CACHE", tools::R_user_dir("dprk-relations", "cache")),
           base_url = Sys.getenv("DPRK_RELATIONS_BASE_URL"), registry = default_registry, quiet = FALSE) {
    reg <- read_registry(registry)
    version <- resolve_version(version, reg)
    entry <- reg$versions[[version]]
    if (!grepl("^[A-Za-z0-9][A-Za-z0-9._-]*\\.zip$", entry$archive %||% "")) {
      stop("the registry's archive name for ", version, " is not a plain .zip file name", call. = FALSE)
    }
    dir.create(dest, recursive = TRUE, showWarnings = FALSE)
    zip <- file.path(dest, entry$archive)
    # A copy from an earlier download is checked like a new one; a bad one is fetched again.
    if (file.exists(zip) && !is.null(archive_problem(zip, entry))) unlink(zip)
    if (!file.exists(zip)) {
      url <- archive_url(reg, version, entry, base_url)
      part <- tempfile(".download-", tmpdir = dest)
      on.exit(unlink(part), add = TRUE)
      # download.file() reports some failures as warnings, others as errors:
      # collect both; the size and sha256 checks below decide in any case.
      notes <- character()
      status <- tryCatch(withCallingHandlers(
        utils::download.file(url, part, mode = "wb", quiet = quiet),
        warning = function(w) {
          notes <<- c(notes, conditionMessage(w))
          invokeRestart("muffleWarning")
        }), error = function(e) {
          notes <<- c(notes, conditionMessage(e))
          NA
        })
      if (!identical(as.integer(status), 0L) || !file.exists(part)) {
        why <- if (length(notes)) paste(unique(notes), collapse = "; ") else "download.file() failed"
        stop("could not download ", version, " from ", url, ": ", why,
             "; check your network or DPRK_RELATIONS_BASE_URL", call. = FALSE)
      }
      problem <- archive_problem(part, entry)
      if (!is.null(problem)) {
        stop("refused ", version, " from ", url, ": ", problem, "; nothing was unpacked or kept",
             call. = FALSE)
      }
      if (!file.rename(part, zip)) stop("cannot move the download into ", dest, call. = FALSE)
    }
    load_dprk_relations(zip)
  }
})

# The R class in one unambiguous word or two: "ordered factor" vs "factor".
r_class_name <- function(x) {
  if (is.ordered(x)) "ordered factor" else if (is.factor(x)) "factor" else class(x)[1]
}

# Values in a form another language can compare exactly: NA -> null, dates as
# YYYY-MM-DD, doubles with 17 significant digits (round-trips any double),
# logicals as JSON booleans, everything else as text.
canonical_values <- function(x) {
  v <- if (is.factor(x)) as.character(x)
       else if (inherits(x, "Date")) format(x, "%Y-%m-%d")
       else if (is.logical(x)) as.vector(x)
       else if (is.double(x)) ifelse(is.na(x), NA_character_, sprintf("%.17g", x))
       else as.character(x)
  as.list(v)
}

dprk_relations_summary <- function(rel) {
  lapply(names(rel), function(name) {
    df <- rel[[name]]
    list(
      name = name, description = attr(df, "description"),
      nrow = nrow(df), ncol = ncol(df),
      columns = lapply(names(df), function(col) {
        x <- df[[col]]
        list(name = col, class = r_class_name(x), description = attr(x, "description"),
             levels = if (is.factor(x)) as.list(levels(x)), values = canonical_values(x))
      }))
  })
}

# Runs only under Rscript: source() of this file just defines the functions.
if (sys.nframe() == 0L && !interactive()) {
  local({
    args <- commandArgs(trailingOnly = TRUE)
    if (length(args) != 3 || args[1] != "summary") {
      message("usage: Rscript load.R summary <release dir | datapackage.json | zip> <out.json>")
      quit(status = 2)
    }
    rel <- tryCatch(load_dprk_relations(args[2]), error = function(e) {
      message("load.R: ", conditionMessage(e))
      quit(status = 1)
    })
    jsonlite::write_json(list(tables = dprk_relations_summary(rel)), args[3],
                         auto_unbox = TRUE, na = "null", null = "null", digits = NA)
  })
}
