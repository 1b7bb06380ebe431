## Wave 2 oracle: trimming, raking, design effects of the SIPAS index, an imported weighted design.
## Run from the oracle root:  Rscript scripts/wave2_oracle.R
## R 4.2.2, survey 4.1.1. Writes (fixed seeds, so a rerun gives the same bytes):
##   data/trim_inputs.csv, data/rake_responses.csv, data/rake_margins.csv,
##   data/imported_weighted.csv, data/imported_weighted_small.csv          (inputs; R reads them back)
##   expected/trim_weights.csv, expected/rake_weights.csv, expected/index_deff.csv,
##   expected/imported_weighted.csv, expected/imported_weighted_small.csv, expected/wave2_manifest.json
## Every number is printed with 17 significant digits; every result is computed from the CSV as read back,
## so a Python port sees the same doubles.
suppressPackageStartupMessages({ library(survey); library(jsonlite) })
options(survey.lonely.psu = "fail")          # package default, stated explicitly
options(survey.adjust.domain.lonely = FALSE) # package default, stated explicitly
dir.create("data", showWarnings = FALSE)
dir.create("expected", showWarnings = FALSE)

g17 <- function(x) ifelse(is.na(x), NA, sprintf("%.17g", x))
no_warning <- function(expr) withCallingHandlers(expr, warning = function(w) stop("unexpected warning: ", conditionMessage(w)))
calls <- list()

## ---- 1. trimWeights(strict = TRUE) --------------------------------------------------------------------------
## survey:::trimWeights.survey.design2 (4.1.1), for the record:
##   pw <- weights(design, "sampling"); outside <- pw < lower | pw > upper
##   if (!any(outside)) return(design)
##   pwnew <- pmax(lower, pmin(pw, upper)); trimmings <- pw - pwnew
##   pwnew[!outside] <- pwnew[!outside] + sum(trimmings)/sum(!outside)
##   design$prob <- 1/pwnew; ...; if (strict) trimWeights(design, upper, lower, strict = TRUE) else design
## Each round re-tests ALL weights: one capped in an earlier round sits on the bound, is not "outside", and gets
## its share of the next round's trimmings like any other weight (then is capped again, or, if the share moved
## it inwards, stays off the bound). R stops when no weight is outside. In floating point that may never happen:
## the weights go through design$prob <- 1/pwnew, and 1/(1/x) can be x plus an ulp, so a weight on the bound can be
## outside again every round (upper = 3.7 or lower = 0.9 on any weights; upper = 30 on lnorm200_heavy, where the
## cut alternates 2.9e-13, 3.7e-13 for ever): R then dies with "C stack usage is too close to the limit". Only
## cases where R finishes are golden here.
set.seed(20260301)
api_s <- read.csv("data/apistrat.csv", stringsAsFactors = FALSE)
dstrat <- svydesign(ids = ~1, strata = ~stype, weights = ~pw, data = api_s)
raked_api <- no_warning(rake(dstrat, list(~stype, ~awards, ~sch_wide),
  list(data.frame(stype = c("E", "H", "M"), Freq = c(4421, 755, 1018)),
       data.frame(awards = c(0, 1), Freq = c(2500, 3694)), data.frame(sch_wide = c(0, 1), Freq = c(1200, 4994))),
  control = list(maxit = 200, epsilon = 1e-15)))
sets <- list(
  lnorm200 = rlnorm(200, meanlog = 3, sdlog = 0.9),        # 200 distinct weights, median 20, mean ~30
  lnorm200_heavy = rlnorm(200, meanlog = 2, sdlog = 1.6),  # heavier tail: many rounds
  apistrat_raked = as.vector(weights(raked_api)),
  small_a = c(1, 2, 3, 10),
  small_b = c(1, 1, 5, 9),
  all_outside = c(1, 10))                                  # every weight outside: R keeps nothing to share over
stopifnot(!anyDuplicated(sets$lnorm200), !anyDuplicated(sets$lnorm200_heavy))
trim_in <- do.call(rbind, lapply(names(sets), function(s)
  data.frame(set = s, row = seq_along(sets[[s]]), w = g17(sets[[s]]), stringsAsFactors = FALSE)))
write.csv(trim_in, "data/trim_inputs.csv", row.names = FALSE)
trim_in <- read.csv("data/trim_inputs.csv", stringsAsFactors = FALSE)

trim_cases <- list(
  list(case = "lnorm200_upper60", set = "lnorm200", lower = NA, upper = 60),
  list(case = "lnorm200_upper40", set = "lnorm200", lower = NA, upper = 40),
  list(case = "lnorm200_lower8", set = "lnorm200", lower = 8, upper = NA),
  list(case = "lnorm200_lower15", set = "lnorm200", lower = 15, upper = NA),
  list(case = "lnorm200_lower8_upper60", set = "lnorm200", lower = 8, upper = 60),
  list(case = "lnorm200_lower15_upper40", set = "lnorm200", lower = 15, upper = 40),
  list(case = "lnorm200_lower25_upper32", set = "lnorm200", lower = 25, upper = 32),
  list(case = "heavy_upper40", set = "lnorm200_heavy", lower = NA, upper = 40),
  list(case = "heavy_lower3", set = "lnorm200_heavy", lower = 3, upper = NA),
  list(case = "heavy_lower5_upper50", set = "lnorm200_heavy", lower = 5, upper = 50),
  list(case = "apistrat_raked_upper40", set = "apistrat_raked", lower = NA, upper = 40),
  list(case = "apistrat_raked_lower15_upper45", set = "apistrat_raked", lower = 15, upper = 45),
  list(case = "apistrat_raked_lower25", set = "apistrat_raked", lower = 25, upper = NA),
  list(case = "small_a_upper6", set = "small_a", lower = NA, upper = 6),
  list(case = "small_a_lower2_upper6", set = "small_a", lower = 2, upper = 6),
  list(case = "small_b_upper5.5", set = "small_b", lower = NA, upper = 5.5),
  list(case = "all_outside_lower4_upper6", set = "all_outside", lower = 4, upper = 6))
trim_rows <- list(); trim_calls <- list()
for (C in trim_cases) {
  w <- trim_in$w[trim_in$set == C$set]
  des <- svydesign(ids = ~1, weights = ~w, data = data.frame(w = w))
  args <- list(des, strict = TRUE)
  if (!is.na(C$lower)) args$lower <- C$lower
  if (!is.na(C$upper)) args$upper <- C$upper
  tw <- weights(do.call(trimWeights, args))
  stopifnot(all(is.finite(tw)))
  trim_calls[[C$case]] <- paste0("weights(trimWeights(svydesign(ids=~1, weights=~w, data=data.frame(w=<set ", C$set, ">))",
    if (!is.na(C$lower)) paste0(", lower=", C$lower) else "", if (!is.na(C$upper)) paste0(", upper=", C$upper) else "",
    ", strict=TRUE))")
  trim_rows[[length(trim_rows) + 1]] <- data.frame(case = C$case, set = C$set,
    lower = if (is.na(C$lower)) NA else g17(C$lower), upper = if (is.na(C$upper)) NA else g17(C$upper),
    row = seq_along(w), w = g17(w), trimmed = g17(tw), stringsAsFactors = FALSE)
  cat(sprintf("trim %-32s moved %3d of %3d weights, total %.17g -> %.17g\n", C$case, sum(tw != w), length(w), sum(w), sum(tw)))
}
write.csv(do.call(rbind, trim_rows), "expected/trim_weights.csv", row.names = FALSE, na = "")
calls$trim_weights <- trim_calls

## ---- 2. rake ---------------------------------------------------------------------------------------------------
## Responses to counter surveys: 3 agencies x 4 months = 12 cells, 4 procedure fields of skewed frequency;
## base weight 1. Population: dossiers per agency x month x field (field mix differs by agency and from the
## sample), from which the margins are summed, so all margins describe the same population.
set.seed(20260302)
agencies <- c("MA-A", "MA-B", "MA-C"); months <- sprintf("2026-%02d", 1:4); fields <- c("F1", "F2", "F3", "F4")
resp <- do.call(rbind, lapply(agencies, function(a) do.call(rbind, lapply(months, function(m) {
  n <- 12L + rpois(1, c("MA-A" = 30, "MA-B" = 18, "MA-C" = 45)[[a]])
  data.frame(agency = a, month = m, field = sample(fields, n, replace = TRUE, prob = c(.55, .25, .13, .07)),
             stringsAsFactors = FALSE)
}))))
resp$id <- seq_len(nrow(resp))
resp$cell <- paste(resp$agency, resp$month, sep = "|")
resp$agency_field <- paste(resp$agency, resp$field, sep = "|")
resp$base <- 1
stopifnot(length(unique(resp$agency_field)) == 12)
resp <- resp[, c("id", "agency", "month", "field", "cell", "agency_field", "base")]
mix <- rbind("MA-A" = c(.40, .30, .20, .10), "MA-B" = c(.60, .20, .12, .08), "MA-C" = c(.35, .35, .15, .15))
colnames(mix) <- fields
pop <- expand.grid(field = fields, month = months, agency = agencies, stringsAsFactors = FALSE)
size <- c("MA-A" = 3000, "MA-B" = 1200, "MA-C" = 5200)
pop$N <- round(size[pop$agency] * runif(nrow(pop), 0.7, 1.3) * mix[cbind(pop$agency, pop$field)])
sum_by <- function(key) { s <- tapply(pop$N, key, sum); data.frame(category = names(s), total = as.vector(s), stringsAsFactors = FALSE) }
margins <- rbind(
  data.frame(margin = "cell", sum_by(paste(pop$agency, pop$month, sep = "|"))),
  data.frame(margin = "field", sum_by(pop$field)),
  data.frame(margin = "agency_field", sum_by(paste(pop$agency, pop$field, sep = "|"))))
write.csv(resp, "data/rake_responses.csv", row.names = FALSE)
write.csv(margins, "data/rake_margins.csv", row.names = FALSE)
resp <- read.csv("data/rake_responses.csv", stringsAsFactors = FALSE)
margins <- read.csv("data/rake_margins.csv", stringsAsFactors = FALSE)
margin_df <- function(name) { m <- margins[margins$margin == name, ]; d <- data.frame(m$category, Freq = m$total); names(d)[1] <- name; d }
rake_control <- list(maxit = 1000, epsilon = 1e-13, verbose = FALSE)
rake_rows <- list(); rake_calls <- list()
for (second in c("field", "agency_field")) {
  case <- paste0("cell+", second)
  des <- svydesign(ids = ~1, weights = ~base, data = resp)
  r <- no_warning(rake(des, list(~cell, as.formula(paste0("~", second))), list(margin_df("cell"), margin_df(second)),
                       control = rake_control))
  w <- as.vector(weights(r))
  for (name in c("cell", second)) {   # the fit, for the log
    m <- margin_df(name); s <- tapply(w, resp[[name]], sum)
    cat(sprintf("rake %-18s margin %-13s max relative misfit %.3g\n", case, name, max(abs(s[m[[name]]] / m$Freq - 1))))
  }
  rake_calls[[case]] <- paste0("weights(rake(svydesign(ids=~1, weights=~base, data=rake_responses), list(~cell, ~", second,
    "), list(<margin cell>, <margin ", second, ">), control=list(maxit=1000, epsilon=1e-13, verbose=FALSE)))",
    " -- epsilon < 1 means 1e-13 * sum of the base weights, on the change of svytable(~cell+", second, ") between sweeps")
  rake_rows[[length(rake_rows) + 1]] <- data.frame(case = case, id = resp$id, weight = g17(w), stringsAsFactors = FALSE)
}
write.csv(do.call(rbind, rake_rows), "expected/rake_weights.csv", row.names = FALSE)
calls$rake_weights <- rake_calls

## ---- 3. design effects of the SIPAS index -----------------------------------------------------------------------
## Index of a domain D: I = mean over the K_D elements rated by someone in D of R_k = Σ_D w·[score_k ≥ 4] / X_k,
## X_k = Σ_D w·[rated_k]. Linearised score of respondent i in D:
##   score_i = I + (Σ_D w) · (1/K_D) · Σ_k ([score_ik ≥ 4] − R_k·[rated_ik]) / X_k
## so that svymean(~score, subset(design, inD)) has estimate I and the linearised SE of the index.
wide <- read.csv("data/satisfaction_wide.csv", stringsAsFactors = FALSE)
els <- sprintf("E%d", 1:6)
Y <- sapply(els, function(e) ifelse(is.na(wide[[e]]), 0, as.numeric(wide[[e]] >= 4)))
A <- sapply(els, function(e) as.numeric(!is.na(wide[[e]])))
index_designs <- list(
  strat_clus = list(spec = "svydesign(ids=~psu, strata=~agency, weights=~weight, nest=TRUE)",
                    make = function(d) svydesign(ids = ~psu, strata = ~agency, weights = ~weight, nest = TRUE, data = d)),
  resp_clus = list(spec = "svydesign(ids=~resp_id, weights=~weight)",
                   make = function(d) svydesign(ids = ~resp_id, weights = ~weight, data = d)))
linearised <- function(inD) {
  w <- wide$weight * inD
  X <- colSums(w * A); rated <- X > 0
  R <- colSums(w * Y)[rated] / X[rated]
  K <- sum(rated); I <- mean(R)
  dev <- (Y[, rated, drop = FALSE] - sweep(A[, rated, drop = FALSE], 2, R, "*")) %*% (1 / X[rated])
  list(score = ifelse(inD, I + sum(w) / K * as.vector(dev), 0), index = I, elements = K)
}
share <- rowSums(Y) / 6
complete <- rowSums(A) == 6
deff_row <- function(case, dn, des, by, group, inD, elements) {
  sub <- subset(des, inD)
  m <- svymean(~score, sub, deff = TRUE)
  mr <- svymean(~score, sub, deff = "replace")
  se <- SE(m)[1]; d1 <- deff(m)[1]; d2 <- deff(mr)[1]
  data.frame(case = case, design = dn, by = by, group = group, n = sum(inD), elements = elements,
             estimate = g17(coef(m)[1]), se = g17(se), deff = g17(d1), deff_replace = g17(d2),
             status = if (is.finite(se) && se > 0 && is.finite(d1) && is.finite(d2)) "ok" else "nan",
             stringsAsFactors = FALSE)
}
domains <- c(list(list(by = "(overall)", group = "ALL", inD = rep(TRUE, nrow(wide)))),
             lapply(sort(unique(wide$agency)), function(g) list(by = "agency", group = g, inD = wide$agency == g)))
deff_rows <- list(); max_share_gap <- 0
for (dn in names(index_designs)) {
  for (D in domains) {
    inD <- D$inD & rowSums(A) > 0                         # respondents with at least one element rated in D
    lin <- linearised(inD)
    des <- index_designs[[dn]]$make(transform(wide, score = lin$score))
    deff_rows[[length(deff_rows) + 1]] <- deff_row("index", dn, des, D$by, D$group, inD, lin$elements)
  }
  for (D in domains) {
    inD <- D$inD & complete                               # rated all 6: the index is the mean of the plain share
    if (!any(inD)) next
    lin <- linearised(inD)
    max_share_gap <- max(max_share_gap, abs(lin$score[inD] - share[inD]))
    des <- index_designs[[dn]]$make(transform(wide, score = share))
    deff_rows[[length(deff_rows) + 1]] <- deff_row("complete_share", dn, des, D$by, D$group, inD, 6L)
  }
}
index_deff <- do.call(rbind, deff_rows)
write.csv(index_deff, "expected/index_deff.csv", row.names = FALSE, na = "")
## estimate and se of the "index" rows must be those of index_stats.csv (svyratio(covmat=TRUE) + the mean contrast)
ist <- read.csv("expected/index_stats.csv", stringsAsFactors = FALSE)
chk <- merge(index_deff[index_deff$case == "index", ], ist, by = c("design", "by", "group"), suffixes = c("", ".ist"))
stopifnot(nrow(chk) == sum(index_deff$case == "index"))
gap_est <- max(abs(as.numeric(chk$estimate) - chk$estimate.ist))
gap_se <- max(abs(as.numeric(chk$se) - chk$se.ist))
cat(sprintf("index_deff vs index_stats: max |estimate gap| %.3g, max |se gap| %.3g; complete domains: max |linearised score - share| %.3g\n",
            gap_est, gap_se, max_share_gap))
stopifnot(gap_est <= 1e-12, gap_se <= 1e-12, max_share_gap <= 1e-12)
calls$index_deff <- list(
  index = paste("svymean(~score, subset(design, inD), deff=TRUE) and deff=\"replace\"; inD = rated >= 1 element (and agency == group);",
                "score_i = I + (sum_D w) * (1/K_D) * sum_k ([score_ik >= 4] - R_k * [rated_ik]) / X_k, R_k = sum_D w [score_k >= 4] / X_k,",
                "X_k = sum_D w [rated_k], I = mean of R_k over the K_D elements with X_k > 0"),
  complete_share = "svymean(~share, subset(design, inD), deff=TRUE) and deff=\"replace\"; share = #elements scored >= 4 / 6, inD = rated all 6 elements (and agency == group)",
  designs = lapply(index_designs, `[[`, "spec"))

## ---- 4. an imported weighted design ------------------------------------------------------------------------------
## Small block (10 rows): 2 satisfied respondents with weight 100, 8 dissatisfied with weight 1; strata S1 (2 PSUs)
## and S2 (3 PSUs), df = 3; rate 200/208. Large block: 60 rows, strata S3-S5 x 3 PSUs, distinct unequal weights.
small <- data.frame(
  id = 1:10, agency = "MA-A",
  date = c("2026-03-02", "2026-03-02", "2026-03-03", "2026-03-05", "2026-03-05",
           "2026-03-09", "2026-03-09", "2026-03-12", "2026-03-12", "2026-03-16"),
  overall = c(5, 2, 1, 3, 2, 4, 3, 1, 2, 3),
  w = c(100, 1, 1, 1, 1, 100, 1, 1, 1, 1),
  stratum = c(rep("S1", 5), rep("S2", 5)),
  psu = c("S1-P1", "S1-P1", "S1-P1", "S1-P2", "S1-P2", "S2-P1", "S2-P1", "S2-P2", "S2-P2", "S2-P3"),
  stringsAsFactors = FALSE)
set.seed(20260303)
per_psu <- c(5, 7, 8, 6, 9, 4, 7, 6, 8)
p_stratum <- c(S3 = .55, S4 = .70, S5 = .85)
large <- do.call(rbind, lapply(seq_along(per_psu), function(j) {
  s <- names(p_stratum)[(j - 1) %/% 3 + 1]; m <- per_psu[j]
  eta <- qlogis(p_stratum[[s]]) + rnorm(1, 0, 0.5)
  sat <- rbinom(m, 1, plogis(eta))
  data.frame(agency = "MA-A", date = sprintf("2026-03-%02d", sample(1:31, m, replace = TRUE)),
             overall = ifelse(sat == 1, sample(4:5, m, replace = TRUE), sample(1:3, m, replace = TRUE)),
             w = round(rlnorm(m, log(20), 0.6), 3), stratum = s, psu = sprintf("%s-P%d", s, (j - 1) %% 3 + 1),
             stringsAsFactors = FALSE)
}))
large <- cbind(id = 10L + seq_len(nrow(large)), large)
stopifnot(nrow(large) == 60, !anyDuplicated(large$w), !any(large$w %in% c(1, 100)))
write.csv(small, "data/imported_weighted_small.csv", row.names = FALSE)
write.csv(rbind(small, large), "data/imported_weighted.csv", row.names = FALSE)
imported_spec <- "svydesign(ids=~psu, strata=~stratum, weights=~w, nest=TRUE); satisfied = overall >= 4"
imported <- function(name) {
  d <- read.csv(sprintf("data/%s.csv", name), stringsAsFactors = FALSE)
  d$satisfied <- as.numeric(d$overall >= 4)
  des <- svydesign(ids = ~psu, strata = ~stratum, weights = ~w, nest = TRUE, data = d)
  doms <- c(list(list(by = "(overall)", group = "ALL", sub = des)),
            lapply(sort(unique(d$stratum)), function(s) list(by = "stratum", group = s, sub = des[d$stratum == s, ])))
  out <- do.call(rbind, lapply(doms, function(D) {
    sub <- D$sub
    ci <- svyciprop(~satisfied, sub, method = "beta", level = 0.95)
    m <- svymean(~satisfied, sub, deff = TRUE); mr <- svymean(~satisfied, sub, deff = "replace")
    inset <- weights(sub, "sampling") != 0
    data.frame(dataset = name, by = D$by, group = D$group, n = sum(inset), sum_w = g17(sum(weights(sub)[inset])),
               n_satisfied = sum(sub$variables$satisfied[inset]), df = degf(sub), level = 0.95, method = "beta",
               estimate = g17(coef(ci)[1]), se = g17(SE(m)[1]), ci_lower = g17(confint(ci)[1, 1]),
               ci_upper = g17(confint(ci)[1, 2]), deff = g17(deff(m)[1]), deff_replace = g17(deff(mr)[1]),
               stringsAsFactors = FALSE)
  }))
  stopifnot(all(abs(as.numeric(out$estimate) - sapply(doms, function(D) coef(svymean(~satisfied, D$sub))[1])) < 1e-15))
  write.csv(out, sprintf("expected/%s.csv", name), row.names = FALSE)
  out
}
small_out <- imported("imported_weighted_small")
stopifnot(abs(as.numeric(small_out$estimate[1]) - 200 / 208) < 1e-15)
invisible(imported("imported_weighted"))
calls$imported_weighted <- list(design = imported_spec,
  ci = "svyciprop(~satisfied, domain, method=\"beta\", level=0.95): estimate, ci_lower, ci_upper",
  se_deff = "svymean(~satisfied, domain, deff=TRUE) and deff=\"replace\": se, deff, deff_replace",
  domains = "(overall) = the design; stratum = design[stratum == group, ]; df = degf(domain)")

manifest <- list(generated_by = "scripts/wave2_oracle.R", R_version = R.version.string,
                 survey_version = as.character(packageVersion("survey")),
                 options = list(survey.lonely.psu = getOption("survey.lonely.psu"),
                                survey.adjust.domain.lonely = getOption("survey.adjust.domain.lonely")),
                 calls = calls)
write_json(manifest, "expected/wave2_manifest.json", auto_unbox = TRUE, pretty = TRUE)
cat("done\n")
